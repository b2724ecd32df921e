//! Release histories for the packages the demo fleet (`examples/`) uses,
//! so that the browser suite and `scripts/start --offline` show real drift
//! without the internet. Versions include the ones the demo's lock files
//! pin, then newer ones, with plausible dates.

use crate::{FakePackage, FakeState};

const CATALOG: &[(&str, &str, &[&str])] = &[
    // checkout-api (Cargo)
    (
        "cargo",
        "axum",
        &[
            "0.7.5@2024-03-29",
            "0.7.9@2024-11-16",
            "0.8.1@2025-01-01",
            "0.8.4@2025-05-08",
        ],
    ),
    (
        "cargo",
        "serde",
        &[
            "1.0.197@2024-02-20",
            "1.0.228@2025-09-27",
            "1.0.229@2026-02-10",
            "1.0.230@2026-06-02",
        ],
    ),
    (
        "cargo",
        "serde_json",
        &[
            "1.0.114@2024-02-20",
            "1.0.154@2026-03-01",
            "1.0.156@2026-08-15",
        ],
    ),
    (
        "cargo",
        "tokio",
        &[
            "1.36.0@2024-02-02",
            "1.54.1@2026-05-20",
            "1.55.0@2026-09-01",
            "2.0.0-alpha.1@2026-10-01",
        ],
    ),
    ("cargo", "uuid", &["1.7.0@2024-01-18", "1.29.3@2026-07-11"]),
    (
        "cargo",
        "tracing",
        &["0.1.40@2023-10-19", "0.1.44@2025-12-18"],
    ),
    (
        "cargo",
        "reqwest",
        &[
            "0.11.24@2024-01-31",
            "0.11.27@2024-03-19",
            "0.12.28@2025-12-01",
            "0.13.5@2026-08-20",
        ],
    ),
    (
        "cargo",
        "cc",
        &[
            "1.0.90@2024-03-12",
            "1.11.3@2026-06-30",
            "1.11.4!@2026-07-02",
        ],
    ),
    // storefront-web (npm)
    (
        "npm",
        "express",
        &[
            "4.18.2@2022-10-08",
            "4.22.3@2026-01-15",
            "5.0.0@2024-09-10",
            "5.1.0@2025-03-31",
        ],
    ),
    (
        "npm",
        "helmet",
        &["7.1.0@2023-11-07", "7.2.0@2024-09-28", "8.1.0@2025-03-17"],
    ),
    (
        "npm",
        "pino",
        &[
            "8.19.0@2024-02-14",
            "8.21.0@2024-04-23",
            "9.6.0@2024-12-19",
            "10.1.0@2026-04-02",
        ],
    ),
    (
        "npm",
        "eslint",
        &[
            "8.57.0@2024-02-23",
            "8.57.1@2024-09-16",
            "9.39.1@2026-10-31",
        ],
    ),
    // recommendations (Python)
    (
        "pypi",
        "fastapi",
        &[
            "0.110.0@2024-02-24",
            "0.115.12@2025-03-23",
            "0.121.0@2026-10-20",
        ],
    ),
    (
        "pypi",
        "pydantic",
        &["2.6.4@2024-03-12", "2.11.3@2025-04-08", "2.12.4@2026-09-30"],
    ),
    (
        "pypi",
        "numpy",
        &["1.26.4@2024-02-05", "2.2.4@2025-03-16", "2.3.5@2026-08-02"],
    ),
    ("pypi", "httpx", &["0.27.0@2024-02-21", "0.28.1@2024-12-06"]),
    (
        "pypi",
        "uvicorn",
        &[
            "0.28.0@2024-03-09",
            "0.34.0@2024-12-15",
            "0.38.0@2026-09-20",
        ],
    ),
    (
        "pypi",
        "pytest",
        &["8.0.0@2024-01-27", "8.3.5@2025-03-02", "9.0.1@2026-11-12"],
    ),
    ("pypi", "ruff", &["0.3.2@2024-03-09", "0.14.4@2026-11-06"]),
    // ledger (Go)
    (
        "go",
        "github.com/jackc/pgx/v5",
        &[
            "v5.5.5@2024-03-09",
            "v5.7.4@2025-03-24",
            "v5.7.6@2026-06-01",
        ],
    ),
    (
        "go",
        "github.com/prometheus/client_golang",
        &[
            "v1.19.0@2024-02-27",
            "v1.22.0@2025-04-07",
            "v1.23.2@2026-09-08",
        ],
    ),
    (
        "go",
        "golang.org/x/sync",
        &[
            "v0.6.0@2024-01-03",
            "v0.7.0@2024-03-04",
            "v0.18.0@2026-10-10",
        ],
    ),
    // billing-gateway (Ruby)
    (
        "ruby",
        "rails",
        &[
            "7.1.3.2@2024-02-21",
            "7.2.2.1@2024-12-10",
            "8.0.2@2025-03-12",
            "8.1.1@2026-10-28",
        ],
    ),
    (
        "ruby",
        "pg",
        &["1.5.6@2024-03-01", "1.5.9@2024-10-24", "1.6.2@2026-09-04"],
    ),
    (
        "ruby",
        "puma",
        &["6.4.2@2024-01-08", "6.6.0@2025-01-29", "7.1.0@2026-10-15"],
    ),
    (
        "ruby",
        "sidekiq",
        &["7.2.2@2024-02-22", "7.3.9@2025-02-14", "8.0.8@2026-09-25"],
    ),
    (
        "ruby",
        "rspec-rails",
        &["6.1.1@2024-01-25", "6.1.5@2024-09-02", "8.0.0@2025-04-21"],
    ),
    // inventory (Maven; maven-metadata.xml has no dates)
    (
        "maven",
        "com.fasterxml.jackson.core:jackson-databind",
        &["2.16.1", "2.17.3", "2.18.3", "2.20.1"],
    ),
    (
        "maven",
        "org.postgresql:postgresql",
        &["42.7.2", "42.7.5", "42.7.8"],
    ),
    (
        "maven",
        "org.junit.jupiter:junit-jupiter",
        &["5.10.2", "5.12.1", "6.0.1"],
    ),
];

/// A repository on the fake GitHub whose dependencies are behind, for
/// upgrade PRs to be opened against in the browser suite.
const PAYMENTS_API_CARGO_TOML: &str = r#"[package]
name = "payments-api"
version = "0.4.0"
edition = "2021"

[dependencies]
axum = "0.7.5"           # HTTP
serde = { version = "1.0.197", features = ["derive"] }
tokio = { version = "1.36", features = ["full"] }
"#;

const PAYMENTS_API_CARGO_LOCK: &str = r#"version = 3

[[package]]
name = "axum"
version = "0.7.5"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "serde"
version = "1.0.197"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "tokio"
version = "1.36.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;

/// The demo fleet's packages; `express` 4.18.2 is deprecated to show the
/// flag. GitHub holds `demo-org/payments-api`.
pub fn demo_state() -> FakeState {
    let mut state = FakeState::default();
    state.repos.insert(
        "demo-org/payments-api".into(),
        crate::FakeRepo::with_files(&[
            ("Cargo.toml", PAYMENTS_API_CARGO_TOML),
            ("Cargo.lock", PAYMENTS_API_CARGO_LOCK),
        ]),
    );
    for (registry, name, releases) in CATALOG {
        state.add(registry, name, FakePackage::of(releases));
    }
    if let Some(express) = state
        .packages
        .get_mut(&("npm".to_string(), "express".to_string()))
        && let Some(old) = express.releases.first_mut()
    {
        old.deprecated = Some("4.18.2 has a known vulnerability; upgrade to 4.22 or later".into());
    }
    if let Some(fastapi) = state
        .packages
        .get_mut(&("pypi".to_string(), "fastapi".to_string()))
    {
        fastapi.vulnerabilities.push(serde_json::json!({
            "id": "PYSEC-2024-38", "aliases": ["CVE-2024-24762"],
            "summary": "ReDoS in multipart form parsing", "details": "",
            "fixed_in": ["0.109.1"], "link": "https://osv.dev/vulnerability/PYSEC-2024-38",
            "source": "osv", "withdrawn": null,
        }));
    }
    state
}
