// Package emulator is a local, faithful WeChat Pay server for the media
// upload endpoints described in docs/PROTOCOL.md. It is the test oracle for
// wxmedia's providers and the engine behind `wxmedia emulator` and the
// `endpoint: sandbox` accounts.
//
// # Independence
//
// The package imports nothing from wxmedia, only the standard library. It has
// its own Authorization parser, its own request-signature verification, its
// own response signing and its own copy of every size, extension and
// magic-byte rule, all written from docs/PROTOCOL.md. A bug shared by client and
// server would otherwise pass every test.
//
// # Endpoints
//
//	E1  POST /v3/merchant/media/upload                          v3, global  {"media_id"}
//	E2  POST /v3/merchant/media/video_upload                    v3, global  {"media_id"}
//	E4  POST /v3/global/merchant-storage/file/upload            global      {"file_id"}
//	E6  POST /v3/marketing/favor/media/image-upload             v3          {"media_url"}
//	E7  POST /brand/marketing/product-coupon/media/upload-image brand       {"image_url"}
//	E5a POST /brand/marketing/user-package/uploads              brand       {"upload_id","part_size","part_count"}
//	E5  PUT  /brand/marketing/user-package/uploads/{id}/{n}     brand       {"return_message","part_number"}
//	E5b POST /brand/marketing/user-package/uploads/{id}         brand       {"upload_id","resource_id"}
//	E3  POST /secapi/mch/uploadmedia                            v2 (mTLS)   XML media_id
//	    POST /brand/marketing/user-package/user-packages/{id}/expand brand  {"user_package_id","upload_id","state"}
//	    GET  /v3/certificates                                   v3, global  {"data":[encrypted platform certificate]}
//
// Platform-certificate mode (docs/PROTOCOL.md §11): with Config.Platform and
// Config.APIv3Key set (NewSandbox sets the sandbox ones), GET
// /v3/certificates serves the certificate encrypted with AEAD_AES_256_GCM,
// and an answer to a v3 request whose Wechatpay-Serial names the platform
// certificate (or names nothing, with Config.PlatformByDefault) is signed
// with its key and carries its serial. Brand answers are always signed in
// public-key mode. The expand call knows the audience packages of
// Config.UserPackages (the sandbox brand owns SandboxUserPackageID).
//
// Every answer carries a Request-ID header. 2xx answers of the v3 and brand
// endpoints are signed with Config.WechatPayKey (Wechatpay-Timestamp, -Nonce,
// -Signature, -Serial); error answers are the JSON `{"code","message"}` of
// docs/PROTOCOL.md §1.3 and are not signed. The v2 endpoint answers HTTP 200 with a
// signed XML body.
//
// # Faults
//
// Config.Faults (changeable at run time with SetFaults) injects latency,
// 500 SYSTEM_ERROR, 429 FREQUENCY_LIMIT_EXCEED, connection resets (the
// request is never processed) and truncated responses (the upload IS
// processed and its ID issued, but the client never reads the answer: the
// "uploaded but the response was lost" case). Decisions come from a PRNG
// seeded with Faults.Seed, so a run is repeatable for a given request order.
// Config.RateLimit and Config.DailyQuota add per-merchant 429s.
//
// # Sandbox
//
// Sandbox returns built-in merchant identities whose keys are committed in
// sandbox/ (PUBLIC test keys: they protect nothing), and NewSandbox returns a
// server that trusts them, so that a new user can try wxmedia with no
// credentials. Start and StartTLS serve a handler on a loopback port.
//
// # Assumptions
//
// Where docs/PROTOCOL.md is silent the emulator makes a choice; every such choice
// is a named constant or function marked "[ASSUMED]" in the source.
package emulator
