//! Writes an input as the file targets see it, after their checksum
//! fix-up (`pstkit_fuzz::prepared`): what a regression test of a finding
//! keeps. `cargo run --example prepare -- FINDING OUT` (in `fuzz/`).

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        eprintln!("usage: prepare FINDING OUT");
        std::process::exit(2);
    };
    let bytes = std::fs::read(input).expect("read the finding");
    let data = pstkit_fuzz::prepared(&bytes);
    std::fs::write(output, &data[..]).expect("write the prepared input");
}
