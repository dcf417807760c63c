//! HTTP plumbing shared by every route the aggregator serves (ingest, the edge API, the
//! dashboard): the peer address of a request and the allowed-host guard, kept apart from any of
//! them so the ingest path depends on nothing the dashboard owns.

pub mod hosts;

use std::net::SocketAddr;

/// The TCP peer of a connection, attached to each request by the aggregator's own accept loop
/// (which replaces `warp::serve` to bound connections and header reading time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub SocketAddr);

/// The remote address of a request: the [`PeerAddr`] extension when the aggregator's server
/// set it, else what warp knows (`warp::test` requests and `warp::serve`).
pub fn remote_addr(
) -> impl warp::Filter<Extract = (Option<SocketAddr>,), Error = std::convert::Infallible> + Clone {
    use warp::Filter;
    warp::ext::optional::<PeerAddr>()
        .and(warp::addr::remote())
        .map(|peer: Option<PeerAddr>, warp_addr: Option<SocketAddr>| {
            peer.map(|p| p.0).or(warp_addr)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_attached_peer_wins_over_what_warp_knows() {
        let peer: SocketAddr = "198.51.100.7:4000".parse().unwrap();
        let warp_addr: SocketAddr = "192.0.2.1:5000".parse().unwrap();
        let got = warp::test::request()
            .remote_addr(warp_addr)
            .extension(PeerAddr(peer))
            .filter(&remote_addr())
            .await
            .unwrap();
        assert_eq!(got, Some(peer));
        let got = warp::test::request()
            .remote_addr(warp_addr)
            .filter(&remote_addr())
            .await
            .unwrap();
        assert_eq!(got, Some(warp_addr));
    }
}
