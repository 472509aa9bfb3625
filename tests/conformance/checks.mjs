// What every conformance script shares: console capture (anything the SDK prints counts as a failure),
// one line per check, expected Backendless error codes, and the closing line tests/it/conformance.rs reads.

const printedBySdk = []
for (const level of ['error', 'warn', 'log', 'info']) {
  console[level] = (...args) => printedBySdk.push(`${level}: ${args.map(String).join(' ')}`)
}
export const report = line => process.stdout.write(`${line}\n`)

let failures = 0
export const check = (ok, what) => {
  report(`${ok ? 'ok  ' : 'FAIL'} ${what}`)
  if (!ok) failures += 1
}

export const expectCode = async (what, code, run) => {
  try {
    const result = await run()
    check(false, `${what}: expected error ${code}, got success ${JSON.stringify(result)}`)
  } catch (error) {
    check(Number(error.code) === code, `${what}: error code ${error.code} (expected ${code}): ${error.message}`)
  }
}

// Checks that the SDK has printed nothing so far.
export const checkSdkSilent = () =>
  check(printedBySdk.length === 0, `the SDK printed nothing during the session: ${JSON.stringify(printedBySdk)}`)

// Prints the closing line and exits with the outcome.
export const finish = () => {
  report(failures === 0 ? 'CONFORMANCE OK' : `CONFORMANCE FAILED (${failures})`)
  process.exit(failures === 0 ? 0 : 1)
}
