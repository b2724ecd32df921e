//! `shipshape-fakes [ADDR]`: serves the demo fleet's registries (and an
//! empty GitHub) on ADDR (default 127.0.0.1:0) and prints its base URL on
//! the first line, for the browser suite and offline demos.

use std::net::SocketAddr;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let listen: SocketAddr = match std::env::args()
        .nth(1)
        .as_deref()
        .unwrap_or("127.0.0.1:0")
        .parse()
    {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("shipshape-fakes: the address must look like 127.0.0.1:7300: {e}");
            std::process::exit(2);
        }
    };
    match shipshape_fakes::Fakes::start(shipshape_fakes::demo::demo_state(), listen).await {
        Ok(fakes) => {
            println!("{}", fakes.base());
            let _ = tokio::signal::ctrl_c().await;
        }
        Err(e) => {
            eprintln!("shipshape-fakes: cannot listen on {listen}: {e}");
            std::process::exit(1);
        }
    }
}
