//! Build script: rebuild when a migration is added, since `sqlx::migrate!` embeds the
//! `migrations/` folder at compile time and cargo would not notice a new file otherwise.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
