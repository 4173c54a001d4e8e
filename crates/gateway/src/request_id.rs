//! The `RequestId` every answer carries, in every dialect.

/// A new `RequestId`: an upper-case UUID v4 like Alibaba's (random bytes from the thread-local
/// CSPRNG, which avoids a `getrandom` system call per request).
pub fn new_request_id() -> String {
    let bytes: [u8; 16] = rand::random();
    let id = uuid::Builder::from_random_bytes(bytes).into_uuid();
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    id.hyphenated().encode_upper(&mut buf).to_owned()
}
