//! CPU used during the measured window (Linux `/proc`): by named groups of processes (the
//! server's pids, or every process of a name such as `postgres`), by the load tool itself and
//! by the whole machine, so a report says which side ran out of CPU.

use std::collections::BTreeMap;
use std::time::Instant;

/// Clock ticks per second of `/proc` times (`USER_HZ`, 100 on every Linux).
const TICKS_PER_SEC: f64 = 100.0;

/// What to watch: `LABEL=PID[,PID...]` or `LABEL=NAME` (every process whose `comm` is NAME).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Watch {
    /// The label in the report.
    pub label: String,
    /// The processes.
    pub who: Who,
}

/// Which processes a [`Watch`] covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Who {
    /// These pids.
    Pids(Vec<u32>),
    /// Every process with this `comm` (looked up at each reading).
    Named(String),
}

/// Parses `--cpu-watch LABEL=PID[,PID...]` or `LABEL=NAME`.
pub(crate) fn parse_watch(s: &str) -> Result<Watch, String> {
    let (label, spec) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?} is not LABEL=PIDS or LABEL=NAME"))?;
    if label.is_empty() || spec.is_empty() {
        return Err(format!("{s:?} is not LABEL=PIDS or LABEL=NAME"));
    }
    let pids: Result<Vec<u32>, _> = spec.split(',').map(str::parse).collect();
    let who = match pids {
        Ok(pids) => Who::Pids(pids),
        Err(_) => Who::Named(spec.to_owned()),
    };
    Ok(Watch {
        label: label.to_owned(),
        who,
    })
}

/// User plus system ticks of one process, if it exists.
fn ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the `(comm)`, which may itself hold spaces: state is field 3, utime 14.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Every pid whose `comm` is `name`.
fn pids_named(name: &str) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim_end() == name)
        })
        .collect()
}

/// Busy and total ticks of the whole machine and its number of CPUs (`/proc/stat`), idle and
/// iowait counting as idle. (Not `available_parallelism`: that counts only the CPUs this process
/// may run on, one when the load tool is pinned.)
fn machine() -> Option<(u64, u64, usize)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let cpus = stat
        .lines()
        .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .count();
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    let total: u64 = v.iter().take(8).sum();
    let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
    Some((total - idle, total, cpus.max(1)))
}

/// One reading of every watched group: ticks per pid (so a process that appears or goes away
/// between readings counts only what it used in between, as far as `/proc` still tells).
#[derive(Debug, Clone)]
pub(crate) struct Reading {
    at: Instant,
    groups: Vec<BTreeMap<u32, u64>>,
    own: u64,
    machine: Option<(u64, u64, usize)>,
}

/// Reads every watched group now.
pub(crate) fn read(watches: &[Watch]) -> Reading {
    let groups = watches
        .iter()
        .map(|w| {
            let pids = match &w.who {
                Who::Pids(p) => p.clone(),
                Who::Named(n) => pids_named(n),
            };
            pids.into_iter()
                .filter_map(|p| Some((p, ticks(p)?)))
                .collect()
        })
        .collect();
    Reading {
        at: Instant::now(),
        groups,
        own: ticks(std::process::id()).unwrap_or(0),
        machine: machine(),
    }
}

/// Cores used between two readings: per watched label, `load tool` and `machine` (both cores
/// of a 2-core machine busy reads 2.0, whatever CPUs this process is pinned to).
pub(crate) fn used(watches: &[Watch], from: &Reading, to: &Reading) -> BTreeMap<String, f64> {
    let secs = to.at.duration_since(from.at).as_secs_f64().max(1e-9);
    let cores = |ticks: u64| ((ticks as f64 / TICKS_PER_SEC / secs) * 100.0).round() / 100.0;
    let mut out = BTreeMap::new();
    for (i, w) in watches.iter().enumerate() {
        let (Some(a), Some(b)) = (from.groups.get(i), to.groups.get(i)) else {
            continue;
        };
        let spent: u64 = b
            .iter()
            .map(|(pid, t)| t.saturating_sub(a.get(pid).copied().unwrap_or(0)))
            .sum();
        out.insert(w.label.clone(), cores(spent));
    }
    out.insert("load tool".into(), cores(to.own.saturating_sub(from.own)));
    if let (Some((b0, t0, _)), Some((b1, t1, ncpu))) = (from.machine, to.machine) {
        let total = t1.saturating_sub(t0).max(1) as f64;
        let busy = b1.saturating_sub(b0) as f64 / total * ncpu as f64;
        out.insert("machine".into(), (busy * 100.0).round() / 100.0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watches_name_pids_or_a_process_name() {
        assert_eq!(
            parse_watch("keygate=12,34"),
            Ok(Watch {
                label: "keygate".into(),
                who: Who::Pids(vec![12, 34])
            })
        );
        assert_eq!(
            parse_watch("postgres=postgres"),
            Ok(Watch {
                label: "postgres".into(),
                who: Who::Named("postgres".into())
            })
        );
        assert!(parse_watch("nolabel").is_err());
        assert!(parse_watch("=1").is_err());
    }

    #[test]
    fn this_process_busy_for_a_while_reads_as_cpu_used() {
        let me = std::process::id();
        let watches = vec![Watch {
            label: "me".into(),
            who: Who::Pids(vec![me]),
        }];
        let a = read(&watches);
        let spin = Instant::now();
        let mut x = 0u64;
        while spin.elapsed().as_millis() < 300 {
            x = x.wrapping_mul(31).wrapping_add(7);
        }
        std::hint::black_box(x);
        let b = read(&watches);
        let used = used(&watches, &a, &b);
        assert!(used["me"] > 0.5, "{used:?}");
        assert!(used.contains_key("machine"), "{used:?}");
    }
}
