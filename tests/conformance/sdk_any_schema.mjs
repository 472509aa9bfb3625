// Conformance for `serve --identity username --schema tests/fixtures/users_schema_all_types.json`: the official
// Backendless JS SDK registers, logs in by a non-email identity, describes a schema with every column type and
// round-trips values of each. Run by tests/it/conformance.rs with EMU_ORIGIN, EMU_APP_ID, EMU_API_KEY set.
// Prints one line per check; exits non-zero on failure; anything the SDK prints counts as a failure.
import Backendless from 'backendless'
import { check, checkSdkSilent, expectCode, finish } from './checks.mjs'

const { EMU_ORIGIN, EMU_APP_ID, EMU_API_KEY } = process.env

try {
  Backendless.initApp({ appId: EMU_APP_ID, apiKey: EMU_API_KEY, serverURL: EMU_ORIGIN })

  const props = await Backendless.UserService.describeUserClass()
  const identities = props.filter(p => p.identity).map(p => p.name)
  check(identities.length === 1 && identities[0] === 'username', `describeUserClass marks username as the identity (${identities})`)
  const typeOf = name => (props.find(p => p.name === name) || {}).type
  check(typeOf('loyaltyPoints') === 'INT' && typeOf('verified') === 'BOOLEAN',
    `integer type indexes in the schema file are described by name (${typeOf('loyaltyPoints')}, ${typeOf('verified')})`)
  check(typeOf('homeLocation') === 'POINT' && typeOf('deliveryArea') === 'POLYGON', 'geometry columns are described')
  check((props.find(p => p.name === 'referredBy') || {}).relatedTable === 'Users', 'a relation column names its relatedTable')

  // Register and log in by username, not email.
  const user = new Backendless.User()
  user.username = 'dana'
  user.password = 'dana-pass-1'
  user.email = 'dana@example.org'
  const registered = await Backendless.UserService.register(user)
  check(registered.username === 'dana' && typeof registered.objectId === 'string', 'UserService.register with a username identity')
  check(Number.isInteger(registered.memberNumber), `AUTO_INCREMENT is filled on register (${registered.memberNumber})`)
  await expectCode('register without the identity', 3011,
    () => Backendless.UserService.register(Object.assign(new Backendless.User(), { email: 'x@example.org', password: 'pw-1' })))
  await expectCode('register a taken identity (any case)', 3033,
    () => Backendless.UserService.register(Object.assign(new Backendless.User(), { username: 'DANA', password: 'pw-2' })))

  const dana = await Backendless.UserService.login('Dana', 'dana-pass-1', true)
  check(dana.objectId === registered.objectId, 'login by username, letter case ignored')
  await expectCode('login by the email of a username app', 3003, () => Backendless.UserService.login('dana@example.org', 'dana-pass-1'))

  // Values of every editable type round-trip through the SDK's whole-object update.
  const point = { type: 'Point', coordinates: [13.4, 52.52] }
  const route = { type: 'LineString', coordinates: [[-9.14, 38.72], [-9.15, 38.73]] }
  const updated = await Backendless.UserService.update({
    ...dana,
    bio: 'Zeile eins\nZeile zwei — 東京 ✓',
    loyaltyPoints: 1234,
    rating: 4.75,
    verified: true,
    memberSince: new Date(Date.UTC(2020, 1, 29)),
    settings: { theme: 'dark', langs: ['en', 'ar'] },
    homeLocation: point,
    commuteRoute: route,
    referredBy: registered.objectId,
  })
  check(updated.bio === 'Zeile eins\nZeile zwei — 東京 ✓' && updated.loyaltyPoints === 1234 && updated.rating === 4.75 &&
    updated.verified === true, 'TEXT, INT (type index), DOUBLE and BOOLEAN (type index) round-trip')
  check(updated.memberSince === Date.UTC(2020, 1, 29), `a DATETIME sent as a Date comes back as epoch ms (${updated.memberSince})`)
  check(JSON.stringify(updated.settings) === JSON.stringify({ theme: 'dark', langs: ['en', 'ar'] }), 'JSON round-trips')
  const read = await Backendless.Data.of('Users').findById(dana.objectId)
  // The SDK turns geometry with a `___class` into its own Point / LineString objects, whose JSON is GeoJSON.
  const asGeoJson = value => value && JSON.parse(JSON.stringify(value))
  check(asGeoJson(read.homeLocation)?.type === 'Point' &&
    JSON.stringify(asGeoJson(read.homeLocation).coordinates) === JSON.stringify(point.coordinates),
    `POINT reads back (${JSON.stringify(read.homeLocation)}, a ${read.homeLocation?.constructor?.name})`)
  check(asGeoJson(read.commuteRoute)?.type === 'LineString' &&
    JSON.stringify(asGeoJson(read.commuteRoute).coordinates) === JSON.stringify(route.coordinates),
    `LINESTRING reads back (${JSON.stringify(read.commuteRoute)}, a ${read.commuteRoute?.constructor?.name})`)
  check(read.referredBy && read.referredBy.objectId === registered.objectId && read.referredBy.___class === 'Users',
    `a relation reads back as a reference (${JSON.stringify(read.referredBy)})`)
  check(read.memberNumber === registered.memberNumber, 'AUTO_INCREMENT is unchanged by the update')
  await expectCode('identity taken on update', 3018, async () => {
    const other = Object.assign(new Backendless.User(), { username: 'erin', password: 'erin-pass-1' })
    await Backendless.UserService.register(other)
    return Backendless.UserService.update({ objectId: dana.objectId, username: 'ERIN' })
  })
  await Backendless.UserService.logout()
  check(await Backendless.UserService.isValidLogin() === false, 'isValidLogin is false after logout')
} catch (error) {
  check(false, `unexpected error: ${error && error.code} ${error && error.message}`)
}

checkSdkSilent()
finish()
