// Package providertest is the provider conformance suite: Run drives one
// provider's real client against the real emulator (package
// providers/emulator) and checks, per docs/PROTOCOL.md, that
//
//   - a happy-path upload returns an ID of the documented shape and the
//     emulator issued exactly that ID for the file's SHA-256;
//   - every documented error code the emulator can produce for the endpoint
//     comes back as a *providers.APIError with the documented HTTP status,
//     code and retryability, and an Error() text that names the asset, the
//     code and WeChat Pay's message and says whether retrying helps;
//   - responses tampered with between the emulator and the client (body,
//     signature, timestamp, serial; the XML sign for v2) are rejected with a
//     *providers.VerifyError and no Result;
//   - a context cancelled mid-request ends the upload with
//     context.Canceled.
//
// ERRORS.md beside this file lists every documented error code and the
// test that produces it (or why the emulator or the client makes it
// unreachable).
//
// The package is for tests only. It builds providers.Account values from
// the public sandbox keys (emulator.Sandbox), never from package accounts,
// so that the suite exercises the providers alone.
package providertest
