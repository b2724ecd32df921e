//! TLS for outgoing requests (registries, GitHub, git over HTTPS): rustls
//! with ring, installed once as the process-wide provider.

pub fn install_crypto_provider() {
    // Err only means a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
