// Conformance: the official Backendless JS SDK (pinned in package-lock.json) against the emulator.
// Run by tests/it/conformance.rs with EMU_ORIGIN, EMU_APP_ID, EMU_API_KEY, BOB_ID set; the emulator runs with
// the demo data, generated users and dynamic schema OFF. Prints one line per check; exits non-zero on failure.
// Anything the SDK prints through console.error / console.warn / console.log is captured and counts as a failure.
import Backendless from 'backendless'

const printedBySdk = []
for (const level of ['error', 'warn', 'log', 'info']) {
  console[level] = (...args) => printedBySdk.push(`${level}: ${args.map(String).join(' ')}`)
}
const report = line => process.stdout.write(`${line}\n`)

let failures = 0
const check = (ok, what) => {
  report(`${ok ? 'ok  ' : 'FAIL'} ${what}`)
  if (!ok) failures += 1
}
const expectCode = async (what, code, run) => {
  try {
    const result = await run()
    check(false, `${what}: expected error ${code}, got success ${JSON.stringify(result)}`)
  } catch (error) {
    check(Number(error.code) === code, `${what}: error code ${error.code} (expected ${code}): ${error.message}`)
  }
}

const { EMU_ORIGIN, EMU_APP_ID, EMU_API_KEY, BOB_ID } = process.env

try {
  Backendless.initApp({ appId: EMU_APP_ID, apiKey: EMU_API_KEY, serverURL: EMU_ORIGIN })
  const info = await Backendless.appInfoPromise()
  check(Array.isArray(info.loggers), 'initApp loads app info with loggers')

  // Alice: login, update, read back.
  const alice = await Backendless.UserService.login('alice@example.com', 'alice-pass-1', true)
  check(typeof alice.objectId === 'string' && typeof alice['user-token'] === 'string', 'login returns objectId and user-token')
  check(alice.password === undefined, 'login result has no password')
  check(await Backendless.UserService.isValidLogin() === true, 'isValidLogin is true after login')

  alice.phoneNumber = '5551212'
  const updated = await Backendless.UserService.update(alice)
  check(updated.phoneNumber === '5551212', 'UserService.update sets phoneNumber')
  check(updated.name === 'Alice Liddell', 'update answers the full record')
  const readBack = await Backendless.Data.of('Users').findById(alice.objectId)
  check(readBack.phoneNumber === '5551212', 'phoneNumber reads back as 5551212')

  // Dates travel as ISO strings on update (JSON.stringify of a Date) and come back as epoch ms.
  const withDate = await Backendless.UserService.update({ objectId: alice.objectId, birthday: new Date(Date.UTC(1996, 4, 4)) })
  check(withDate.birthday === Date.UTC(1996, 4, 4), `a Date sent by the SDK is stored (${withDate.birthday})`)

  // Update errors, each as the SDK error's code.
  await expectCode('identity taken', 3018, () => Backendless.UserService.update({ ...alice, email: 'BOB@example.com' }))
  await expectCode('required property emptied', 3045, () => Backendless.UserService.update({ objectId: alice.objectId, name: '' }))
  await expectCode('wrong value type', 3024, () => Backendless.UserService.update({ objectId: alice.objectId, age: 'thirty' }))
  await expectCode('unknown property with dynamic schema off', 3031,
    () => Backendless.UserService.update({ objectId: alice.objectId, shoeSize: 9 }))
  await expectCode("someone else's record", 3029, () => Backendless.UserService.update({ objectId: BOB_ID, name: 'Bobby' }))

  const props = await Backendless.UserService.describeUserClass()
  const email = props.find(p => p.name === 'email')
  check(email && email.identity === true && email.type === 'STRING', 'describeUserClass marks email as the identity')
  check(props.some(p => p.name === 'birthday' && p.type === 'DATETIME'), 'describeUserClass types birthday as DATETIME')

  const ownCount = await Backendless.Data.of('Users').getObjectCount()
  check(ownCount === 1, `a non-admin counts only their own record (${ownCount})`)

  // A token the server does not know.
  const realToken = Backendless.getCurrentUserToken()
  Backendless.setCurrentUserToken('00000000-0000-0000-0000-000000000000')
  await expectCode('unknown user-token', 3064, () => Backendless.UserService.update({ objectId: alice.objectId, name: 'x' }))
  Backendless.setCurrentUserToken(realToken)

  await Backendless.UserService.logout()
  check(await Backendless.UserService.isValidLogin() === false, 'isValidLogin is false after logout')
  await expectCode('update without a login', 3028, () => Backendless.UserService.update({ objectId: alice.objectId, name: 'x' }))

  // Admin: find with a where clause and paging, count, a missing id.
  await Backendless.UserService.login('admin@example.com', 'admin-pass-1')
  const query = Backendless.DataQueryBuilder.create()
    .setWhereClause("email LIKE 'user%' AND age >= 18")
    .setSortBy(['email'])
    .setPageSize(5)
    .setOffset(5)
  const page = await Backendless.Data.of('Users').find(query)
  check(page.length === 5 && page[0].email === 'user00006@example.com', `find with where + paging (${page.map(u => u.email)})`)
  check(page.every(u => u.password === undefined && u.___class === 'Users'), 'found records carry ___class and no password')
  const total = await Backendless.Data.of('Users').getObjectCount("email LIKE 'user%'")
  check(total === 20, `getObjectCount with a where clause (${total})`)
  const all = await Backendless.Data.of('Users').getObjectCount()
  check(all === 23, `getObjectCount of all users (${all})`)
  await expectCode('admin updates a missing id', 3030,
    () => Backendless.UserService.update({ objectId: 'NO-SUCH-ID', name: 'x' }))
  check(await Backendless.UserService.isValidLogin() === true, 'isValidLogin is true for the admin')
  await Backendless.UserService.logout()

  // Wrong keys: its own standalone app, last, because initApp reports the failed info request on the console.
  check(printedBySdk.length === 0, `the SDK printed nothing during the session: ${JSON.stringify(printedBySdk)}`)
  const wrong = Backendless.initApp({ appId: 'WRONG-APP-ID', apiKey: EMU_API_KEY, serverURL: EMU_ORIGIN, standalone: true })
  await expectCode('wrong application id', 2002, () => wrong.UserService.login('alice@example.com', 'alice-pass-1'))
} catch (error) {
  check(false, `unexpected error: ${error.code} ${error.message}\n${error.stack}`)
}

report(failures === 0 ? 'CONFORMANCE OK' : `CONFORMANCE FAILED (${failures})`)
process.exit(failures === 0 ? 0 : 1)
