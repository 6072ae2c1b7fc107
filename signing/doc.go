// Package signing implements WeChat Pay's request signatures and response
// verification with the Go standard library only:
//
//   - the v3 and brand Authorization header (RSA PKCS#1 v1.5 over SHA-256 of
//     a five-line message, docs/PROTOCOL.md §1.1 and §1.6): Message, Signer;
//   - verification of signed responses (§1.2): Verifier;
//   - the APIv2 sign field (MD5 or HMAC-SHA256, §2): SignV2, VerifyV2;
//   - loading PEM keys and certificates with messages that say what was
//     found instead: ParsePrivateKey, ParsePublicKey, CertificateSerial.
//
// No error returned by this package contains key material, a signature or
// an API key, so errors may be printed as they are.
package signing
