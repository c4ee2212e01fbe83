//! The README's library example is `examples/list.rs`, word for word (the
//! doc test runs the README's copy, `cargo run --example list` the file's).

#[test]
fn readme_example_is_the_list_example() {
    let readme = include_str!("../../../README.md");
    let example = include_str!("../examples/list.rs");
    let start = readme
        .find("```rust\n")
        .expect("a rust block in the README")
        + "```rust\n".len();
    let len = readme[start..].find("```\n").expect("the block's end");
    assert_eq!(&readme[start..start + len], example);
}
