//! The program's side of the Backendless protocol: an async REST client for any Backendless server.
//!
//! - [`endpoint`]: the two URL forms (key-in-path, domain).
//! - [`client`]: one async call per endpoint, one shared `reqwest::Client`.
//! - [`error`]: `ApiError`, the one error enum; codes come from [`codes`].
//! - [`wire`]: serde shapes as on the wire, shared with the emulator.

pub mod client;
pub mod codes;
pub mod endpoint;
pub mod error;
pub mod wire;

pub use client::{Client, FindQuery, LoginReply, Password, UserToken, UserTokenError};
pub use endpoint::{BaseUrl, Endpoint, EndpointError};
pub use error::ApiError;
