//! Times the pieces of the read workloads (raw bytes vs typed values), for profiling.
//! Usage: probe FILE [REPEAT]
use std::time::Instant;

fn main() -> h5kit::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).cloned().unwrap_or_else(|| "contig.h5".into());
    let repeat: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(5);
    for _ in 0..repeat {
        let t = Instant::now();
        let f = h5kit::File::open(&path)?;
        let h5kit::Object::Dataset(d) = f.object("x")? else { return Ok(()) };
        let t_open = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let raw = d.read_raw()?;
        let t_raw = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let v: Vec<f64> = raw.chunks_exact(8).map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])).collect();
        let t_conv = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let a = d.read::<f64>()?;
        let t_typed = t.elapsed().as_secs_f64();
        println!(
            "open {:.4} read_raw {:.4} le->f64 {:.4} read::<f64> {:.4} ({} {})",
            t_open, t_raw, t_conv, t_typed, v.len(), a.data.len()
        );
    }
    Ok(())
}
