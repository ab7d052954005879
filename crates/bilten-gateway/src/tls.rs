//! TLS to `https://` upstreams: rustls with ring (the provider the rest of the binary's rustls
//! already uses), trusting the Mozilla roots of `webpki-roots` plus the certificates of
//! `GATEWAY_UPSTREAM_CA_FILE` (a private CA, or a test's self-signed upstream). The images
//! carry no CA store of their own that the gateway reads, so the roots are compiled in.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};

/// The TLS client settings for https upstreams, built and checked at start.
#[derive(Clone)]
pub struct UpstreamTls {
    config: Arc<ClientConfig>,
    extra_roots: usize,
}

impl std::fmt::Debug for UpstreamTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamTls")
            .field("webpki_roots", &webpki_roots::TLS_SERVER_ROOTS.len())
            .field("extra_roots", &self.extra_roots)
            .finish_non_exhaustive()
    }
}

impl UpstreamTls {
    /// The webpki roots, plus every certificate of `extra_roots_pem` (PEM) when given.
    pub fn new(extra_roots_pem: Option<&[u8]>) -> Result<Self, String> {
        let mut roots: RootCertStore = webpki_roots::TLS_SERVER_ROOTS.iter().cloned().collect();
        let mut extra_roots = 0;
        if let Some(pem) = extra_roots_pem {
            for certificate in CertificateDer::pem_slice_iter(pem) {
                let certificate =
                    certificate.map_err(|e| format!("not a list of PEM certificates: {e}"))?;
                roots
                    .add(certificate)
                    .map_err(|e| format!("a certificate cannot serve as a trusted root: {e}"))?;
                extra_roots += 1;
            }
            if extra_roots == 0 {
                return Err("no PEM certificate (-----BEGIN CERTIFICATE-----) in it".to_owned());
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS cannot be set up: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Self {
            config: Arc::new(config),
            extra_roots,
        })
    }

    /// A copy of the client configuration for a connector (which sets its own ALPN).
    pub(crate) fn client_config(&self) -> ClientConfig {
        self.config.as_ref().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::UpstreamTls;

    #[test]
    fn without_a_ca_file_only_the_webpki_roots_are_trusted() {
        let tls = UpstreamTls::new(None).unwrap();
        assert_eq!(tls.extra_roots, 0);
        assert!(format!("{tls:?}").contains("extra_roots: 0"));
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused() {
        assert!(UpstreamTls::new(Some(b"")).is_err());
        assert!(UpstreamTls::new(Some(b"not pem at all")).is_err());
        let garbage = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(UpstreamTls::new(Some(garbage)).is_err());
    }
}
