//! Rebuild when a migration is added or edited: `refinery::embed_migrations!` reads the
//! directory at compile time, but cargo does not know a new file there should trigger a rebuild.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
