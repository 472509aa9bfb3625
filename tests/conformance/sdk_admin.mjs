// Conformance, issue 12: the official Backendless JS SDK's account and admin calls against the emulator, once
// with the client (REST) key, which real servers refuse the server-only operations (3054, 2011, 3122), and once
// with the CloudCode key, which they allow. Run by tests/it/conformance.rs with EMU_ORIGIN, EMU_APP_ID,
// EMU_API_KEY, EMU_CLOUDCODE_KEY, BOB_ID set; the emulator runs with the demo data (roles Admin, Editor, Support).
// Prints one line per check; anything the SDK prints counts as a failure.
import Backendless from 'backendless'
import { check, checkSdkSilent, expectCode, finish } from './checks.mjs'

const { EMU_ORIGIN, EMU_APP_ID, EMU_API_KEY, EMU_CLOUDCODE_KEY, BOB_ID } = process.env
const standaloneApp = apiKey => Backendless.initApp({ appId: EMU_APP_ID, apiKey, serverURL: EMU_ORIGIN, standalone: true })
const sorted = list => [...list].sort()

try {
  // ---- with the client key ----
  const app = standaloneApp(EMU_API_KEY)
  const dave = await app.UserService.register({ email: 'dave@example.com', password: 'dave-pass-1', name: 'Dave' })
  check(typeof dave.objectId === 'string' && dave.userStatus === 'ENABLED', 'register creates an enabled user')
  await expectCode('register without a required property', 3012,
    () => app.UserService.register({ email: 'erin@example.com', password: 'erin-pass-1' }))

  await app.UserService.login('admin@example.com', 'admin-pass-1', true)
  await expectCode('disableUser with a client key', 3054, () => app.UserService.disableUser(BOB_ID))
  await expectCode('enableUser with a client key', 3054, () => app.UserService.enableUser(BOB_ID))
  await expectCode('assignRole with a client key', 2011, () => app.UserService.assignRole('bob@example.com', 'Editor'))
  await expectCode('unassignRole with a client key', 2011, () => app.UserService.unassignRole('bob@example.com', 'Editor'))
  await expectCode('verifyPassword with a client key', 3122, () => app.UserService.verifyPassword('admin-pass-1'))
  const bobRoles = await app.UserService.getUserRoles(BOB_ID)
  check(Array.isArray(bobRoles) && bobRoles.length === 0, `an admin reads another user's roles (${JSON.stringify(bobRoles)})`)
  const ownRoles = await app.UserService.getUserRoles()
  check(ownRoles.includes('Admin') && ownRoles.includes('AuthenticatedUser'), `getUserRoles() of the session (${ownRoles})`)
  const admins = await app.UserService.findByRole('Admin')
  check(admins.length === 1 && admins[0].email === 'admin@example.com', `findByRole('Admin') as an admin (${admins.map(u => u.email)})`)
  const bob = await app.Data.of('Users').findById(BOB_ID)
  check(bob.userStatus === 'ENABLED', `userStatus is a column of the record (${bob.userStatus})`)
  await app.UserService.logout()

  await app.UserService.login('alice@example.com', 'alice-pass-1', true)
  await expectCode("getUserRoles of someone else's id", 1013, () => app.UserService.getUserRoles(BOB_ID))
  await expectCode("remove someone else's record", 3029, () => app.Data.of('Users').remove(BOB_ID))
  await app.UserService.logout()

  await app.UserService.restorePassword('alice@example.com')
  check(true, 'restorePassword of a known identity succeeds')
  await expectCode('restorePassword of an unknown identity', 3020, () => app.UserService.restorePassword('nobody@example.com'))
  const outbox = await (await fetch(`${EMU_ORIGIN}/_emulator/outbox`)).json()
  check(outbox.length === 1 && outbox[0].to === 'alice@example.com' && outbox[0].body.includes(outbox[0].resetLink),
    `the mail is in the emulator's outbox (${outbox.map(m => m.to)})`)

  // ---- with the CloudCode key ----
  const server = standaloneApp(EMU_CLOUDCODE_KEY)
  await server.UserService.disableUser(BOB_ID)
  await expectCode('login of a user disabled by disableUser', 3090, () => app.UserService.login('bob@example.com', 'bob-pass-1'))
  await server.UserService.enableUser(BOB_ID)
  const bobAgain = await app.UserService.login('bob@example.com', 'bob-pass-1')
  check(bobAgain.objectId === BOB_ID, 'enableUser lets the user log in again')
  await app.UserService.logout()

  await server.UserService.assignRole('bob@example.com', 'Editor')
  await server.UserService.assignRole('bob@example.com', 'Support')
  const assigned = await server.UserService.getUserRoles(BOB_ID)
  check(JSON.stringify(sorted(assigned)) === '["Editor","Support"]', `assignRole, then getUserRoles (${assigned})`)
  const editors = await server.UserService.findByRole('Editor', true, Backendless.DataQueryBuilder.create().setPageSize(5).setSortBy(['email']))
  check(editors.length === 1 && editors[0].objectId === BOB_ID && Array.isArray(editors[0].roles) && editors[0].roles.includes('Editor'),
    `findByRole with loadRoles (${JSON.stringify(editors.map(u => [u.email, u.roles]))})`)
  await server.UserService.unassignRole('bob@example.com', 'Support')
  const left = await server.UserService.getUserRoles(BOB_ID)
  check(JSON.stringify(left) === '["Editor"]', `unassignRole removes the role (${left})`)
  await expectCode('assignRole of a role that does not exist', 2005, () => server.UserService.assignRole('bob@example.com', 'NoSuchRole'))
  await expectCode('assignRole of a built-in role', 2007, () => server.UserService.assignRole('bob@example.com', 'AuthenticatedUser'))
  await expectCode('unassignRole of a built-in role', 2008, () => server.UserService.unassignRole('bob@example.com', 'AuthenticatedUser'))
  await expectCode('assignRole to an unknown identity', 3020, () => server.UserService.assignRole('nobody@example.com', 'Editor'))

  await server.UserService.login('dave@example.com', 'dave-pass-1', true)
  check(await server.UserService.verifyPassword('dave-pass-1') === true, 'verifyPassword with the CloudCode key: right password')
  check(await server.UserService.verifyPassword('wrong-pass') === false, 'verifyPassword with the CloudCode key: wrong password')
  await server.UserService.logout()

  const removed = await server.Data.of('Users').remove(dave.objectId)
  check(typeof removed.deletionTime === 'number' && removed.deletionTime > 0, `Data.of('Users').remove answers deletionTime (${JSON.stringify(removed)})`)
  await expectCode('login of the removed user', 3003, () => app.UserService.login('dave@example.com', 'dave-pass-1'))
  await expectCode('remove an id that does not exist', 1000, () => server.Data.of('Users').remove(dave.objectId))

  checkSdkSilent()
} catch (error) {
  check(false, `unexpected error: ${error.code} ${error.message}\n${error.stack}`)
}

finish()
