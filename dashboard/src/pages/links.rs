//! Addresses the pages show for a service.

use crate::http::Req;
use crate::state::DashboardState;

/// Where browsers reach the ingress, as shown in snippets: the dashboard's host with the
/// scheme of `SCRIPT_USE_HTTPS`.
pub fn ingress_base(state: &DashboardState, req: &Req) -> String {
    let scheme = if state.args().script_use_https {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{}", req.host())
}

/// Where people reach the dashboard, for links handed out (share links): the configured
/// dashboard URL, or else this request's host over plain HTTP (an install without
/// `SHYNET_DASHBOARD_URL` is reached as the browser reached it).
pub fn dashboard_base(state: &DashboardState, req: &Req) -> String {
    match state.site() {
        Some(s) => s.base.clone(),
        None => format!("http://{}", req.host()),
    }
}
