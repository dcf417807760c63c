//! Server-rendered pages, one module per area; the router dispatches to their handlers. Shared
//! pieces live in siblings the handlers import (`layout`, `tables`, `links`), never in a
//! handler module, so no page depends on another page.

pub mod accounts;
pub mod admin;
pub mod data_rights;
pub mod dim_cards;
pub mod event_cards;
pub mod layout;
pub mod links;
pub mod live;
pub mod manage;
pub mod manage_view;
pub mod notifications;
pub mod overview;
pub mod service;
pub mod sessions;
pub mod share;
pub mod share_manage;
pub mod tables;
pub mod unsubscribe;
