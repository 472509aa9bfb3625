// Conformance: the official Backendless JS SDK (pinned in package-lock.json) against the emulator.
// Run by tests/it/conformance.rs with EMU_ORIGIN, EMU_APP_ID, EMU_API_KEY, EMU_CLOUDCODE_KEY, BOB_ID set; the emulator runs with
// the demo data, generated users and dynamic schema OFF. Prints one line per check; exits non-zero on failure.
// Anything the SDK prints through console.error / console.warn / console.log is captured and counts as a failure.
import Backendless from 'backendless'
import { check, checkSdkSilent, expectCode, finish } from './checks.mjs'

const { EMU_ORIGIN, EMU_APP_ID, EMU_API_KEY, EMU_CLOUDCODE_KEY, BOB_ID } = process.env
const standaloneApp = apiKey => Backendless.initApp({ appId: EMU_APP_ID, apiKey, serverURL: EMU_ORIGIN, standalone: true })

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

  // Issue 11: as a real app behaves. Anonymous find / count succeed and see nothing (the SDK e2e's readiness probe).
  const anonymous = await Backendless.Data.of('Users').find()
  check(Array.isArray(anonymous) && anonymous.length === 0, `anonymous find sees nothing (${JSON.stringify(anonymous)})`)
  const anonymousCount = await Backendless.Data.of('Users').getObjectCount()
  check(anonymousCount === 0, `anonymous getObjectCount is 0 (${anonymousCount})`)

  // Register (the SDK adds blUserLocale), then log out tokenless right after, as the SDK's own e2e setup does.
  const carol = await Backendless.UserService.register({ email: 'carol@example.com', password: 'carol-pass-1', name: 'Carol', shoeSize: 9 })
  check(typeof carol.objectId === 'string' && carol.password === undefined, 'UserService.register creates the user')
  check(carol.socialAccount === 'BACKENDLESS' && carol.accountType === 'BACKENDLESS' && carol.oAuthIdentities === null,
    `a registered record carries socialAccount, accountType, oAuthIdentities (${JSON.stringify(carol)})`)
  check(typeof carol.blUserLocale === 'string' && carol.blUserLocale.length > 0, `a registered record has a blUserLocale (${carol.blUserLocale})`)
  check(carol.updated === null && carol.lastLogin === null, 'updated and lastLogin are null until first set')
  check(carol.shoeSize === undefined, 'with dynamic schema off, register drops unknown properties')
  let tokenlessLogout = true
  await Backendless.UserService.logout().catch(error => { tokenlessLogout = `${error.code} ${error.message}` })
  check(tokenlessLogout === true, `logout without a user-token succeeds (${tokenlessLogout})`)
  await expectCode('register without the identity', 3011, () => Backendless.UserService.register({ password: 'p-1', name: 'X' }))
  await expectCode('register an identity already taken', 3033,
    () => Backendless.UserService.register({ email: 'CAROL@example.com', password: 'p-1', name: 'X' }))

  // One session per user by default: a second login from another SDK instance ends the first session.
  const firstDevice = standaloneApp(EMU_API_KEY)
  const secondDevice = standaloneApp(EMU_API_KEY)
  await firstDevice.UserService.login('carol@example.com', 'carol-pass-1', true)
  check(await firstDevice.UserService.isValidLogin() === true, 'isValidLogin is true on the first device')
  await secondDevice.UserService.login('carol@example.com', 'carol-pass-1', true)
  check(await firstDevice.UserService.isValidLogin() === false, 'a second login ends the first session (isValidLogin false)')
  check(await secondDevice.UserService.isValidLogin() === true, 'the second device stays logged in')
  await expectCode('the ended session updates', 3064,
    () => firstDevice.UserService.update({ objectId: carol.objectId, name: 'Caroline' }))

  // Client keys are refused the server-only operations; the CloudCode key is allowed them.
  await expectCode('assignRole with a client key', 2011, () => secondDevice.UserService.assignRole('carol@example.com', 'Admin'))
  await expectCode('unassignRole with a client key', 2011, () => secondDevice.UserService.unassignRole('carol@example.com', 'Admin'))
  await expectCode('disableUser with a client key', 3054, () => secondDevice.UserService.disableUser(BOB_ID))
  await expectCode('verifyPassword with a client key', 3122, () => secondDevice.UserService.verifyPassword('carol-pass-1'))
  const server = standaloneApp(EMU_CLOUDCODE_KEY)
  await server.UserService.login('bob@example.com', 'bob-pass-1', true)
  check(await server.UserService.verifyPassword('bob-pass-1') === true, 'verifyPassword with the CloudCode key: right password')
  check(await server.UserService.verifyPassword('wrong-pass') === false, 'verifyPassword with the CloudCode key: wrong password')
  await server.UserService.disableUser(carol.objectId)
  check(await secondDevice.UserService.isValidLogin() === false, 'disableUser with the CloudCode key ends the sessions')
  await expectCode('login of a disabled user', 3090, () => secondDevice.UserService.login('carol@example.com', 'carol-pass-1'))
  await server.UserService.enableUser(carol.objectId)
  await secondDevice.UserService.login('carol@example.com', 'carol-pass-1')
  check(await secondDevice.UserService.isValidLogin() === true, 'enableUser with the CloudCode key lets the user log in again')
  await secondDevice.UserService.logout()
  await server.UserService.logout()

  // Wrong keys: its own standalone app, last, because initApp reports the failed info request on the console.
  checkSdkSilent()
  const wrong = Backendless.initApp({ appId: 'WRONG-APP-ID', apiKey: EMU_API_KEY, serverURL: EMU_ORIGIN, standalone: true })
  await expectCode('wrong application id', 2002, () => wrong.UserService.login('alice@example.com', 'alice-pass-1'))
} catch (error) {
  check(false, `unexpected error: ${error.code} ${error.message}\n${error.stack}`)
}

finish()
