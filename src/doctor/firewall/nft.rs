//! The nftables side of the firewall check: the ruleset as `nft -j` prints it, and
//! packets followed through its forward base chains.

use serde_json::Value;

use super::{Outcome, PACKETS, Packet, Tri, Verdict, finding, interface_matches};
use crate::doctor::Finding;

/// The tables iptables-nft keeps in nftables; their `FORWARD` chain is judged from
/// `iptables -S`, which understands the `xt` matches nft cannot print.
const IPTABLES_TABLES: &[&str] = &["filter", "nat", "mangle", "raw", "security"];
/// How deep jumps are followed (nft itself allows 16).
const MAX_DEPTH: usize = 16;

/// One chain.
#[derive(Debug, Clone)]
pub struct Chain {
    family: String,
    table: String,
    name: String,
    hook: Option<String>,
    policy: String,
    rules: Vec<Vec<Value>>,
}

/// The chains of a ruleset.
#[derive(Debug, Default)]
pub struct Ruleset {
    chains: Vec<Chain>,
}

/// What a rule does when it matches.
#[derive(Debug, Clone, PartialEq)]
enum Action {
    Accept,
    Drop(String),
    Jump(String),
    Goto(String),
    Return,
    /// `iifname vmap { "docker0" : drop, ... }`: the interface key and the entries.
    Vmap(&'static str, Vec<(String, Action)>),
    None,
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or("").to_string()
}

impl Ruleset {
    /// Reads `nft -j list ruleset`.
    pub fn parse(ruleset: &Value) -> Ruleset {
        let items = ruleset
            .get("nftables")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let mut chains: Vec<Chain> = items
            .iter()
            .filter_map(|item| item.get("chain"))
            .map(|c| Chain {
                family: text(c, "family"),
                table: text(c, "table"),
                name: text(c, "name"),
                hook: c.get("hook").and_then(Value::as_str).map(str::to_string),
                policy: c
                    .get("policy")
                    .and_then(Value::as_str)
                    .unwrap_or("accept")
                    .to_string(),
                rules: Vec::new(),
            })
            .collect();
        for rule in items.iter().filter_map(|item| item.get("rule")) {
            let (family, table, name) = (
                text(rule, "family"),
                text(rule, "table"),
                text(rule, "chain"),
            );
            if let Some(chain) = chains
                .iter_mut()
                .find(|c| c.family == family && c.table == table && c.name == name)
            {
                let expr = rule.get("expr").and_then(Value::as_array).cloned();
                chain.rules.push(expr.unwrap_or_default());
            }
        }
        Ruleset { chains }
    }

    /// The forward-hook base chains that are neither Docker's own nor iptables'
    /// `FORWARD`.
    pub fn foreign_forward_chains(&self) -> Vec<&Chain> {
        self.chains
            .iter()
            .filter(|c| c.hook.as_deref() == Some("forward"))
            // The test packets are IPv4: an ip6 table never sees them.
            .filter(|c| c.family != "ip6")
            .filter(|c| {
                let iptables = matches!(c.family.as_str(), "ip" | "ip6")
                    && IPTABLES_TABLES.contains(&c.table.as_str())
                    && c.name == "FORWARD";
                !iptables && !c.table.starts_with("docker")
            })
            .collect()
    }

    fn find(&self, like: &Chain, name: &str) -> Option<&Chain> {
        self.chains
            .iter()
            .find(|c| c.family == like.family && c.table == like.table && c.name == name)
    }

    /// Follows `packet` through `chain` (and what it jumps to).
    pub fn eval(&self, chain: &Chain, packet: &Packet, depth: usize) -> Verdict {
        let mut passed = Verdict::default();
        for expr in &chain.rules {
            let matched = rule_match(expr, packet);
            if matched == Tri::No {
                continue;
            }
            let mut act = action(expr);
            if let Action::Vmap(key, entries) = &act {
                let iface = if *key == "iifname" {
                    packet.iif
                } else {
                    packet.oif
                };
                act = entries
                    .iter()
                    .find(|(pattern, _)| interface_matches(pattern, iface))
                    .map(|(_, a)| a.clone())
                    .unwrap_or(Action::None);
            }
            let sure = matched == Tri::Yes;
            let outcome = match act {
                Action::None => continue,
                Action::Accept => Outcome::Accept,
                Action::Drop(by) => Outcome::Drop(by),
                Action::Return => Outcome::Continue,
                Action::Jump(ref target) | Action::Goto(ref target) => {
                    let Some(sub) = self.find(chain, target).filter(|_| depth < MAX_DEPTH) else {
                        passed.uncertain = true;
                        continue;
                    };
                    let verdict = self.eval(sub, packet, depth + 1);
                    passed.passed_chain(&verdict);
                    match (verdict.outcome, &act) {
                        (Outcome::Continue, Action::Jump(_)) => continue,
                        (outcome, _) => outcome,
                    }
                }
                Action::Vmap(..) => unreachable!("resolved above"),
            };
            if sure {
                return Verdict { outcome, ..passed };
            }
            passed.passed_maybe(outcome);
        }
        passed
    }
}

/// Whether all of a rule's matches hold for the packet.
fn rule_match(expr: &[Value], packet: &Packet) -> Tri {
    expr.iter()
        .filter_map(|e| e.get("match"))
        .map(|m| one_match(m, packet))
        .fold(Tri::Yes, Tri::and)
}

/// Strings on the right of a match: one, a list, or a set; none for a named set
/// (`@docker_ifs`), whose members the ruleset holds elsewhere.
fn right_strings(right: &Value) -> Option<Vec<String>> {
    let list = match right {
        Value::String(s) if s.starts_with('@') => return None,
        Value::String(s) => return Some(vec![s.clone()]),
        Value::Array(items) => items,
        Value::Object(_) => right.get("set")?.as_array()?,
        _ => return None,
    };
    list.iter()
        .map(|v| v.as_str().map(str::to_string))
        .collect()
}

fn one_match(m: &Value, packet: &Packet) -> Tri {
    let op = m.get("op").and_then(Value::as_str).unwrap_or("==");
    let negate = op == "!=";
    if !matches!(op, "==" | "!=" | "in") {
        return Tri::Maybe;
    }
    let left = m.get("left").unwrap_or(&Value::Null);
    // The test packets are IPv4: a match on an IPv6 header (firewalld's RFC3964 reject
    // of `ip6 daddr {...}`, whose set holds prefixes) never holds for them, whatever
    // its operator and its right side.
    if left.pointer("/payload/protocol").and_then(Value::as_str) == Some("ip6") {
        return Tri::No;
    }
    let Some(right) = m.get("right").and_then(right_strings) else {
        return Tri::Maybe;
    };
    let holds = if let Some(key) = left.pointer("/meta/key").and_then(Value::as_str) {
        let iface = match key {
            "iifname" => packet.iif,
            "oifname" => packet.oif,
            "nfproto" => {
                return Tri::from(right.iter().any(|family| family == "ipv4") != negate);
            }
            _ => return Tri::Maybe,
        };
        right.iter().any(|p| interface_matches(p, iface))
    } else if let Some(key) = left.pointer("/ct/key").and_then(Value::as_str) {
        match key {
            "state" => right.iter().any(|s| s == "new"),
            "status" => right.iter().any(|s| s == "dnat") && packet.dnat,
            _ => return Tri::Maybe,
        }
    } else {
        return Tri::Maybe;
    };
    Tri::from(holds != negate)
}

fn verdict_of(e: &Value) -> Option<Action> {
    if e.get("accept").is_some() {
        Some(Action::Accept)
    } else if e.get("drop").is_some() {
        Some(Action::Drop("a drop rule".into()))
    } else if let Some(reject) = e.get("reject") {
        let with = reject.get("expr").and_then(Value::as_str).unwrap_or("");
        Some(Action::Drop(if with.is_empty() {
            "a reject rule".into()
        } else {
            format!("a rule rejecting with {with}")
        }))
    } else if let Some(target) = e.pointer("/jump/target").and_then(Value::as_str) {
        Some(Action::Jump(target.to_string()))
    } else if let Some(target) = e.pointer("/goto/target").and_then(Value::as_str) {
        Some(Action::Goto(target.to_string()))
    } else if e.get("return").is_some() {
        Some(Action::Return)
    } else {
        None
    }
}

fn action(expr: &[Value]) -> Action {
    for e in expr {
        if let Some(vmap) = e.get("vmap") {
            let key = match vmap.pointer("/key/meta/key").and_then(Value::as_str) {
                Some("iifname") => "iifname",
                Some("oifname") => "oifname",
                _ => return Action::None,
            };
            let entries = vmap
                .pointer("/data/set")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|pair| {
                    let pair = pair.as_array()?;
                    Some((
                        pair.first()?.as_str()?.to_string(),
                        verdict_of(pair.get(1)?)?,
                    ))
                })
                .collect();
            return Action::Vmap(key, entries);
        }
        if let Some(act) = verdict_of(e) {
            return act;
        }
    }
    Action::None
}

/// Findings about the foreign forward chains.
pub fn judge(ruleset: &Ruleset, chains: &[&Chain], firewalld_running: bool) -> Vec<Finding> {
    let mut findings = Vec::new();
    for chain in chains {
        let dropped: Vec<(Packet, Verdict)> = PACKETS
            .iter()
            .filter_map(|packet| {
                let policy = (chain.policy == "drop").then_some("its policy drop");
                let verdict = ruleset.eval(chain, packet, 0).ended(policy);
                matches!(verdict.outcome, Outcome::Drop(_)).then_some((*packet, verdict))
            })
            .collect();
        let firewalld = chain.table == "firewalld";
        let context = format!(
            "the forward-hook chain {} of {}table {} {} (policy {})",
            chain.name,
            if firewalld { "firewalld's " } else { "" },
            chain.family,
            chain.table,
            chain.policy
        );
        let remedy = if firewalld && !firewalld_running {
            format!(
                "firewalld is not running: this table is a leftover. Remove it with \
                 `nft delete table {} {}` (and `systemctl disable --now firewalld` if it is \
                 installed)",
                chain.family, chain.table
            )
        } else if firewalld {
            "put the bridges in firewalld's docker zone: `firewall-cmd --permanent \
             --zone=docker --add-interface=docker0` (and each br-*), `firewall-cmd --reload`, \
             then restart the engine"
                .to_string()
        } else {
            format!(
                "accept the bridges' traffic at the top of that chain: `nft insert rule {f} {t} \
                 {c} iifname {{ \"docker0\", \"br-*\" }} accept` and `nft insert rule {f} {t} {c} \
                 ct status dnat accept`, and persist them in your nftables configuration",
                f = chain.family,
                t = chain.table,
                c = chain.name
            )
        };
        let subject = format!("chain {} {} {}", chain.family, chain.table, chain.name);
        findings.extend(finding(subject, &dropped, &context, remedy));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Status;
    use serde_json::json;

    fn ruleset(policy: &str, chains: Vec<(&str, Vec<Value>)>) -> Ruleset {
        let mut items = vec![
            json!({"chain": {"family": "inet", "table": "firewalld", "name": "filter_FORWARD",
                "type": "filter", "hook": "forward", "prio": 10, "policy": policy}}),
            json!({"chain": {"family": "ip", "table": "filter", "name": "FORWARD",
                "type": "filter", "hook": "forward", "prio": 0, "policy": "drop"}}),
        ];
        for (name, rules) in chains {
            if name != "filter_FORWARD" {
                items
                    .push(json!({"chain": {"family": "inet", "table": "firewalld", "name": name}}));
            }
            for expr in rules {
                items.push(json!({"rule": {"family": "inet", "table": "firewalld",
                    "chain": name, "expr": expr}}));
            }
        }
        Ruleset::parse(&json!({ "nftables": items }))
    }

    fn judged(r: &Ruleset) -> Vec<Finding> {
        judge(r, &r.foreign_forward_chains(), false)
    }

    fn iif(op: &str, right: Value) -> Value {
        json!({"match": {"op": op, "left": {"meta": {"key": "iifname"}}, "right": right}})
    }

    #[test]
    fn leftover_drop_policy_and_catch_all_reject() {
        let r = ruleset("drop", vec![]);
        assert_eq!(
            r.foreign_forward_chains().len(),
            1,
            "iptables' FORWARD is judged elsewhere"
        );
        let found = judged(&r);
        assert_eq!(found[0].severity, Status::Fail);
        assert!(found[0].message.contains("its policy drop"), "{found:?}");
        assert!(
            found[0]
                .remedy
                .as_ref()
                .unwrap()
                .contains("nft delete table inet firewalld")
        );

        let established = json!([{"match": {"op": "in", "left": {"ct": {"key": "state"}},
            "right": {"set": ["established", "related"]}}}, {"accept": null}]);
        let reject = json!([{"reject": {"type": "icmpx", "expr": "admin-prohibited"}}]);
        let r = ruleset(
            "accept",
            vec![("filter_FORWARD", vec![established.clone(), reject.clone()])],
        );
        let found = judged(&r);
        assert!(found[0].message.contains("admin-prohibited"), "{found:?}");

        // Accepting only established traffic of docker0 leaves new connections dropped.
        let oif_established = json!([{"match": {"op": "==", "left": {"meta": {"key": "oifname"}},
            "right": "docker0"}}, established[0].clone(), {"accept": null}]);
        assert!(
            !judged(&ruleset(
                "drop",
                vec![("filter_FORWARD", vec![oif_established])]
            ))
            .is_empty()
        );
    }

    #[test]
    fn jumps_gotos_and_verdict_maps_are_followed() {
        let dnat = json!([{"match": {"op": "in", "left": {"ct": {"key": "status"}},
            "right": "dnat"}}, {"accept": null}]);
        // firewalld configured for Docker: the docker zone's chain accepts the bridges.
        let configured = ruleset(
            "accept",
            vec![
                (
                    "filter_FORWARD",
                    vec![
                        dnat.clone(),
                        json!([{"jump": {"target": "filter_FORWARD_POLICIES"}}]),
                        json!([{"reject": {"type": "icmpx", "expr": "admin-prohibited"}}]),
                    ],
                ),
                (
                    "filter_FORWARD_POLICIES",
                    vec![json!([iif("==", json!({"set": ["docker0", "br-*"]})),
                        {"goto": {"target": "filter_FWD_docker"}}])],
                ),
                ("filter_FWD_docker", vec![json!([{"accept": null}])]),
            ],
        );
        assert!(judged(&configured).is_empty(), "{:?}", judged(&configured));

        let blocked = ruleset(
            "accept",
            vec![
                (
                    "filter_FORWARD",
                    vec![json!([{"jump": {"target": "block"}}])],
                ),
                (
                    "block",
                    vec![json!([iif("==", json!("br-*")), {"drop": null}])],
                ),
            ],
        );
        let found = judged(&blocked);
        assert!(
            found[0].message.contains("user-defined networks"),
            "{found:?}"
        );
        assert!(!found[0].message.contains("docker0 ("), "{found:?}");

        let vmap = json!([{"vmap": {"key": {"meta": {"key": "iifname"}},
            "data": {"set": [["docker0", {"drop": null}], ["br-*", {"drop": null}]]}}}]);
        assert!(!judged(&ruleset("accept", vec![("filter_FORWARD", vec![vmap])])).is_empty());

        // A drop behind a match this check cannot evaluate is a warning.
        let saddr = json!([{"match": {"op": "==", "left": {"payload": {"protocol": "ip",
            "field": "saddr"}}, "right": "10.0.0.1"}}, {"accept": null}]);
        let found = judged(&ruleset("drop", vec![("filter_FORWARD", vec![saddr])]));
        assert_eq!(found[0].severity, Status::Warn, "{found:?}");
    }

    /// firewalld's default `RFC3964_IPv4` rule (`ip6 daddr {...} reject`) comes before
    /// its final reject: it never holds for the IPv4 test packets, so the leftover
    /// table drops for sure, and a healthy firewalld passes. A drop this check cannot
    /// evaluate lets nothing through either: later drops stay certain; alone, it may
    /// drop (a warning).
    #[test]
    fn a_drop_that_cannot_be_evaluated_leaves_later_drops_certain() {
        // As `nft -j list ruleset` prints firewalld's rule: a set of prefixes.
        let rfc3964 = json!([{"match": {"op": "==", "left": {"payload": {"protocol": "ip6",
            "field": "daddr"}}, "right": {"set": [{"prefix": {"addr": "::ffff:0.0.0.0",
            "len": 96}}, {"prefix": {"addr": "::", "len": 96}}]}}},
            {"reject": {"type": "icmpv6", "expr": "addr-unreachable"}}]);
        let reject = json!([{"reject": {"type": "icmpx", "expr": "admin-prohibited"}}]);
        let found = judged(&ruleset(
            "accept",
            vec![("filter_FORWARD", vec![rfc3964.clone(), reject.clone()])],
        ));
        assert_eq!(found[0].severity, Status::Fail, "{found:?}");
        assert!(found[0].message.contains("admin-prohibited"), "{found:?}");
        let dnat = json!([{"match": {"op": "in", "left": {"ct": {"key": "status"}},
            "right": "dnat"}}, {"accept": null}]);
        let bridges = json!([iif("==", json!({"set": ["docker0", "br-*"]})), {"accept": null}]);
        let healthy = ruleset(
            "accept",
            vec![(
                "filter_FORWARD",
                vec![dnat, rfc3964, bridges, reject.clone()],
            )],
        );
        assert!(judged(&healthy).is_empty(), "{:?}", judged(&healthy));

        let saddr = json!([{"match": {"op": "==", "left": {"payload": {"protocol": "ip",
            "field": "saddr"}}, "right": "10.0.0.1"}}, {"drop": null}]);
        let found = judged(&ruleset(
            "accept",
            vec![("filter_FORWARD", vec![saddr.clone(), reject])],
        ));
        assert_eq!(found[0].severity, Status::Fail, "{found:?}");
        let found = judged(&ruleset("accept", vec![("filter_FORWARD", vec![saddr])]));
        assert_eq!(found[0].severity, Status::Warn, "{found:?}");
        assert!(
            found[0].message.contains("if its matches hold"),
            "{found:?}"
        );

        // A named set of the bridges, accepted before a drop policy: not known to drop.
        let named = json!([iif("==", json!("@docker_ifs")), {"accept": null}]);
        let found = judged(&ruleset("drop", vec![("filter_FORWARD", vec![named])]));
        assert_eq!(found[0].severity, Status::Warn, "{found:?}");
    }
}
