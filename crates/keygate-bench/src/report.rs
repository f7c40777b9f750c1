//! Reports: one run as a table row and as JSON, tables of several runs, and Keygate/peer ratios.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::runner::RunResult;

/// Latency quantiles in milliseconds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct Latency {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
}

/// What one run measured, as printed and as written to JSON.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct Report {
    /// Scenario name.
    pub scenario: String,
    /// A free label (`keygate`, `oidc-provider`, `1M authorizations`, ...).
    pub label: String,
    /// Base URL driven.
    pub target: String,
    /// Concurrent connections.
    pub connections: usize,
    /// Fixed total rate asked for, steps per second (`None`: as fast as possible).
    pub rate: Option<f64>,
    /// Measured window in seconds.
    pub seconds: f64,
    /// Steps completed (successful or not) in the window.
    pub steps: u64,
    /// Successful steps.
    pub ok: u64,
    /// Failed steps.
    pub errors: u64,
    /// Failed steps by kind.
    pub error_kinds: BTreeMap<String, u64>,
    /// HTTP requests sent (several per step in `full-flow`).
    pub requests: u64,
    /// Steps per second.
    pub throughput: f64,
    /// Successful steps per second.
    pub ok_per_sec: f64,
    /// Step latency.
    pub latency_ms: Latency,
    /// Connections the server closed that were opened again.
    pub reconnects: u64,
    /// Largest resident memory of the server process seen, MiB.
    pub max_rss_mib: Option<f64>,
    /// Cores used over the measured window (`--cpu-watch` groups, `load tool`, `machine`).
    #[serde(default)]
    pub cpu: BTreeMap<String, f64>,
}

impl Report {
    /// Builds the report of a finished run.
    pub(crate) fn new(
        scenario: &str,
        label: &str,
        target: &str,
        rate: Option<f64>,
        r: &RunResult,
    ) -> Self {
        let s = &r.stats;
        let secs = r.elapsed.as_secs_f64().max(1e-9);
        let steps = s.ok + s.error_count();
        Self {
            scenario: scenario.to_owned(),
            label: label.to_owned(),
            target: target.to_owned(),
            connections: r.connections,
            rate,
            seconds: round(r.elapsed.as_secs_f64(), 3),
            steps,
            ok: s.ok,
            errors: s.error_count(),
            error_kinds: s.errors.clone(),
            requests: s.requests,
            throughput: round(steps as f64 / secs, 1),
            ok_per_sec: round(s.ok as f64 / secs, 1),
            latency_ms: Latency {
                p50: round(s.latency_ms(0.5), 3),
                p90: round(s.latency_ms(0.9), 3),
                p99: round(s.latency_ms(0.99), 3),
                max: round(s.latency_ms(1.0), 3),
            },
            reconnects: s.reconnects,
            max_rss_mib: r.max_rss_kib.map(|k| round(k as f64 / 1024.0, 1)),
            cpu: r.cpu.clone(),
        }
    }
}

fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}

const HEADERS: [&str; 11] = [
    "scenario", "label", "conns", "rate", "steps", "errors", "steps/s", "p50 ms", "p90 ms",
    "p99 ms", "RSS MiB",
];

fn cells(r: &Report) -> [String; 11] {
    [
        r.scenario.clone(),
        r.label.clone(),
        r.connections.to_string(),
        r.rate.map_or("max".into(), |v| format!("{v:.0}")),
        r.steps.to_string(),
        r.errors.to_string(),
        format!("{:.0}", r.throughput),
        format!("{:.2}", r.latency_ms.p50),
        format!("{:.2}", r.latency_ms.p90),
        format!("{:.2}", r.latency_ms.p99),
        r.max_rss_mib.map_or("-".into(), |v| format!("{v:.1}")),
    ]
}

/// Several reports as an aligned text table, or as a Markdown table.
pub(crate) fn table(reports: &[Report], markdown: bool) -> String {
    let rows: Vec<[String; 11]> = reports.iter().map(cells).collect();
    let header: Vec<String> = HEADERS.iter().map(|h| h.to_string()).collect();
    let mut out = String::new();
    if markdown {
        let _ = writeln!(out, "| {} |", header.join(" | "));
        let _ = writeln!(out, "|{}", "---|".repeat(HEADERS.len()));
        for row in &rows {
            let _ = writeln!(out, "| {} |", row.join(" | "));
        }
    } else {
        let mut widths: Vec<usize> = header.iter().map(String::len).collect();
        for row in &rows {
            for (w, c) in widths.iter_mut().zip(row.iter()) {
                *w = (*w).max(c.len());
            }
        }
        let line = |cols: &[String]| {
            cols.iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (c, w))| {
                    if i < 2 {
                        format!("{c:<w$}")
                    } else {
                        format!("{c:>w$}")
                    }
                })
                .collect::<Vec<_>>()
                .join("  ")
        };
        let _ = writeln!(out, "{}", line(&header));
        for row in &rows {
            let _ = writeln!(out, "{}", line(row));
        }
    }
    for r in reports.iter().filter(|r| r.errors > 0) {
        let kinds: Vec<String> = r
            .error_kinds
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        let _ = writeln!(
            out,
            "errors in {} ({}): {}",
            r.scenario,
            r.label,
            kinds.join(", ")
        );
    }
    out
}

/// The median run (by successful steps per second) of each scenario and label, in the order each
/// pair first appears; the label says how many rounds it is the median of when there were several.
///
/// With an even count the lower of the two middle runs is taken, so every row is a run that
/// happened (its latencies belong to its throughput) rather than an average of two.
pub(crate) fn medians(reports: &[Report]) -> Vec<Report> {
    let mut groups: Vec<Vec<&Report>> = Vec::new();
    for r in reports {
        match groups
            .iter_mut()
            .find(|g| g[0].scenario == r.scenario && g[0].label == r.label)
        {
            Some(group) => group.push(r),
            None => groups.push(vec![r]),
        }
    }
    groups
        .into_iter()
        .map(|mut group| {
            group.sort_by(|a, b| a.ok_per_sec.total_cmp(&b.ok_per_sec));
            let mut median = group[(group.len() - 1) / 2].clone();
            if group.len() > 1 {
                median.label = format!("{} (median of {})", median.label, group.len());
            }
            median
        })
        .collect()
}

/// `ours / peer` of successful steps per second, per scenario present in both lists. Several
/// runs of one scenario on a side (rounds) count as their median, so one noisy round does not
/// decide the ratio.
pub(crate) fn ratios(ours: &[Report], peers: &[Report]) -> Vec<(String, f64, f64, f64)> {
    let median_of = |reports: &[Report], scenario: &str| -> Option<f64> {
        let mut rates: Vec<f64> = reports
            .iter()
            .filter(|r| r.scenario == scenario)
            .map(|r| r.ok_per_sec)
            .collect();
        rates.sort_by(f64::total_cmp);
        let n = rates.len();
        match n {
            0 => None,
            _ if n % 2 == 1 => Some(rates[n / 2]),
            _ => Some((rates[n / 2 - 1] + rates[n / 2]) / 2.0),
        }
    };
    let mut scenarios: Vec<&str> = Vec::new();
    for o in ours {
        if !scenarios.contains(&o.scenario.as_str()) {
            scenarios.push(&o.scenario);
        }
    }
    scenarios
        .into_iter()
        .filter_map(|scenario| {
            let o = median_of(ours, scenario)?;
            let p = median_of(peers, scenario)?;
            let ratio = if p > 0.0 { o / p } else { f64::INFINITY };
            Some((
                scenario.to_owned(),
                round(o, 1),
                round(p, 1),
                round(ratio, 2),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(scenario: &str, label: &str, ok_per_sec: f64, errors: u64) -> Report {
        Report {
            scenario: scenario.into(),
            label: label.into(),
            target: "http://127.0.0.1:1".into(),
            connections: 8,
            rate: None,
            seconds: 10.0,
            steps: 100 + errors,
            ok: 100,
            errors,
            error_kinds: if errors > 0 {
                BTreeMap::from([("HTTP 429".to_string(), errors)])
            } else {
                BTreeMap::new()
            },
            requests: 100 + errors,
            throughput: ok_per_sec,
            ok_per_sec,
            latency_ms: Latency {
                p50: 1.0,
                p90: 2.0,
                p99: 3.0,
                max: 4.0,
            },
            reconnects: 0,
            max_rss_mib: Some(20.0),
            cpu: BTreeMap::new(),
        }
    }

    #[test]
    fn the_table_lists_every_run_and_names_the_kinds_of_errors() {
        let t = table(
            &[
                report("refresh", "keygate", 1000.0, 0),
                report("refresh", "peer", 10.0, 3),
            ],
            false,
        );
        assert!(t.lines().next().is_some_and(|h| h.starts_with("scenario")));
        assert!(t.contains("keygate"));
        assert!(t.contains("errors in refresh (peer): HTTP 429: 3"));
        let md = table(&[report("api", "keygate", 5.0, 0)], true);
        assert!(md.starts_with("| scenario |"));
    }

    #[test]
    fn ratios_pair_runs_by_scenario() {
        let ours = [
            report("refresh", "keygate", 1000.0, 0),
            report("api", "keygate", 9.0, 0),
        ];
        let peers = [report("refresh", "peer", 250.0, 0)];
        let r = ratios(&ours, &peers);
        assert_eq!(r, vec![("refresh".to_string(), 1000.0, 250.0, 4.0)]);
    }

    #[test]
    fn rounds_count_as_their_median() {
        let ours = [
            report("refresh", "keygate", 900.0, 0),
            report("refresh", "keygate", 3000.0, 0),
            report("refresh", "keygate", 1000.0, 0),
        ];
        let peers = [
            report("refresh", "peer", 100.0, 0),
            report("refresh", "peer", 300.0, 0),
        ];
        assert_eq!(
            ratios(&ours, &peers),
            vec![("refresh".to_string(), 1000.0, 200.0, 5.0)]
        );
        let rows = medians(&[
            ours[0].clone(),
            peers[0].clone(),
            ours[1].clone(),
            ours[2].clone(),
        ]);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].ok_per_sec, 1000.0);
        assert_eq!(rows[0].label, "keygate (median of 3)");
        assert_eq!(rows[1].label, "peer");
        let even = medians(&peers);
        assert_eq!(
            even[0].ok_per_sec, 100.0,
            "the lower middle run, a run that happened"
        );
    }

    #[test]
    fn a_report_survives_a_json_round_trip() {
        let r = report("api", "keygate", 5.0, 1);
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<Report>(&json).unwrap(), r);
    }
}
