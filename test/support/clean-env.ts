// Tests make their own homes and servers: whatever SLUICE_* variables the caller has set (a home,
// a server, a run id) must not reach the code under test or the CLI processes the tests start.
for (const name of Object.keys(process.env)) {
  if (name.startsWith('SLUICE_')) delete process.env[name]
}
