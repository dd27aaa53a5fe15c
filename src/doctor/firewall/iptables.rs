//! The iptables side of the firewall check: the filter table as `iptables -S` prints
//! it, and new connections of containers followed through `FORWARD`, its jumps
//! (Docker's own `DOCKER-USER`, `DOCKER-ISOLATION-*` chains included) and its policy.

use std::collections::HashMap;

use super::{Outcome, Packet, Tri, UPLINK, Verdict, finding, interface_matches};
use crate::doctor::Finding;

/// How deep jumps are followed.
const MAX_DEPTH: usize = 16;
/// Bridges (beyond docker0) followed: the first ones the rules name.
const MAX_BRIDGES: usize = 8;

/// The filter table.
#[derive(Debug, Default)]
pub struct Table {
    policies: HashMap<String, String>,
    rules: Vec<(String, Vec<String>)>,
}

/// Splits a line of `iptables -S` into words, keeping `"quoted words"` whole.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

impl Table {
    /// Reads `iptables -S`.
    pub fn parse(text: &str) -> Table {
        let mut table = Table::default();
        for line in text.lines() {
            let w = words(line);
            match w.as_slice() {
                [p, chain, policy] if p == "-P" => {
                    table.policies.insert(chain.clone(), policy.clone());
                }
                [a, chain, rest @ ..] if a == "-A" => {
                    table.rules.push((chain.clone(), rest.to_vec()));
                }
                _ => {}
            }
        }
        table
    }

    /// A built-in chain's policy.
    pub fn policy(&self, chain: &str) -> Option<&str> {
        self.policies.get(chain).map(String::as_str)
    }

    fn eval(&self, chain: &str, packet: &Packet, depth: usize) -> Verdict {
        let mut passed = Verdict::default();
        for (_, rule) in self.rules.iter().filter(|(c, _)| c == chain) {
            let matched = rule_match(rule, packet);
            if matched == Tri::No {
                continue;
            }
            let Some((target, goto)) = target(rule) else {
                continue;
            };
            let outcome = match target {
                "ACCEPT" => Outcome::Accept,
                "DROP" => Outcome::Drop(format!("`-A {chain} {}`", rule.join(" "))),
                "REJECT" => Outcome::Drop(format!("`-A {chain} {}`", rule.join(" "))),
                "RETURN" => Outcome::Continue,
                sub if self.rules.iter().any(|(c, _)| c == sub)
                    || self.policies.contains_key(sub) =>
                {
                    if depth >= MAX_DEPTH {
                        passed.uncertain = true;
                        continue;
                    }
                    let verdict = self.eval(sub, packet, depth + 1);
                    passed.passed_chain(&verdict);
                    match verdict.outcome {
                        Outcome::Continue if !goto => continue,
                        outcome => outcome,
                    }
                }
                // LOG, MARK, an empty user chain: the packet goes on.
                _ => continue,
            };
            if matched == Tri::Yes {
                return Verdict { outcome, ..passed };
            }
            passed.passed_maybe(outcome);
        }
        passed
    }
}

/// The rule's target and whether it is a goto.
fn target(rule: &[String]) -> Option<(&str, bool)> {
    rule.windows(2).find_map(|w| match w[0].as_str() {
        "-j" => Some((w[1].as_str(), false)),
        "-g" => Some((w[1].as_str(), true)),
        _ => None,
    })
}

/// Whether the rule's matches hold for the packet (a new connection).
fn rule_match(rule: &[String], packet: &Packet) -> Tri {
    let mut result = Tri::Yes;
    let mut negate = false;
    let mut i = 0;
    while i < rule.len() {
        let word = rule[i].as_str();
        let next = rule.get(i + 1).map(String::as_str).unwrap_or("");
        let one = match word {
            "!" => {
                negate = true;
                i += 1;
                continue;
            }
            "-j" | "-g" => break,
            "-i" => Tri::from(interface_matches(next, packet.iif) != negate),
            "-o" => Tri::from(interface_matches(next, packet.oif) != negate),
            "--ctstate" | "--state" => Tri::from(next.split(',').any(|s| s == "NEW") != negate),
            "-m" if matches!(next, "conntrack" | "state" | "comment") => Tri::Yes,
            "--comment" => Tri::Yes,
            _ => Tri::Maybe,
        };
        result = result.and(one);
        negate = false;
        i += 2;
    }
    result
}

/// Findings about the FORWARD chain of `table`, as `program` lists it: new connections
/// of containers that it drops. The bridges tested are those Docker's rules in
/// `docker_rules` name (the table of the backend Docker writes to).
pub fn judge(table: &Table, docker_rules: &Table, program: &str) -> Vec<Finding> {
    let Some(policy) = table.policy("FORWARD") else {
        return Vec::new();
    };
    let bridge_in = |rule: &[String]| -> Option<String> {
        rule.windows(2)
            .find(|w| w[0] == "-i" && w[1].starts_with("br-") && !w[1].ends_with('+'))
            .map(|w| w[1].clone())
    };
    // An internal network's bridge forwards nothing out by design: Docker's own
    // `! -d SUBNET -i BRIDGE -j DROP` in DOCKER-ISOLATION-STAGE-1 says which.
    let internal: Vec<String> = docker_rules
        .rules
        .iter()
        .filter(|(chain, rule)| {
            chain == "DOCKER-ISOLATION-STAGE-1"
                && rule.windows(2).any(|w| w[0] == "!" && w[1] == "-d")
                && target(rule).is_some_and(|(t, _)| t == "DROP")
        })
        .filter_map(|(_, rule)| bridge_in(rule))
        .collect();
    let mut bridges: Vec<String> = docker_rules
        .rules
        .iter()
        .filter_map(|(_, rule)| bridge_in(rule))
        .filter(|bridge| !internal.contains(bridge))
        .collect();
    bridges.sort();
    bridges.dedup();
    bridges.truncate(MAX_BRIDGES);
    let whats: Vec<String> = bridges
        .iter()
        .map(|b| format!("connections from containers on {b}"))
        .collect();
    let mut packets = vec![Packet {
        iif: "docker0",
        oif: UPLINK,
        dnat: false,
        what: "connections from containers on docker0",
    }];
    for (bridge, what) in bridges.iter().zip(&whats) {
        packets.push(Packet {
            iif: bridge,
            oif: UPLINK,
            dnat: false,
            what,
        });
    }
    let dropped: Vec<(Packet, Verdict)> = packets
        .iter()
        .filter_map(|packet| {
            let policy = (policy == "DROP").then_some("the policy DROP");
            let verdict = table.eval("FORWARD", packet, 0).ended(policy);
            matches!(verdict.outcome, Outcome::Drop(_)).then_some((*packet, verdict))
        })
        .collect();
    let jumps_to_docker = table.rules.iter().any(|(chain, rule)| {
        chain == "FORWARD" && target(rule).is_some_and(|(t, _)| t.starts_with("DOCKER"))
    });
    let remedy = if program != "iptables" {
        format!(
            "Docker writes its rules with the other backend, so these stay whatever Docker \
             does: remove them (`{program} -P FORWARD ACCEPT`, `{program} -F FORWARD`) and \
             from the configuration that loads them at boot"
        )
    } else if jumps_to_docker {
        "remove that rule, or put the exceptions for the Docker bridges in the DOCKER-USER \
         chain (`iptables -I DOCKER-USER -i docker0 -j ACCEPT`)"
            .to_string()
    } else {
        "Docker's rules are missing (a firewall reload or `iptables -F` flushed them): restart \
         the engine so that it puts them back: systemctl restart docker"
            .to_string()
    };
    finding(
        format!("{program} FORWARD"),
        &dropped,
        &format!("the {program} FORWARD chain (policy {policy})"),
        remedy,
    )
    .into_iter()
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Status;

    /// [`judge`] of a table whose own rules are Docker's.
    fn judge_one(table: &Table) -> Vec<Finding> {
        judge(table, table, "iptables")
    }

    const DOCKER: &str = "-P FORWARD DROP
-N DOCKER
-N DOCKER-ISOLATION-STAGE-1
-N DOCKER-ISOLATION-STAGE-2
-N DOCKER-USER
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-ISOLATION-STAGE-1
-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o docker0 -j DOCKER
-A FORWARD -i docker0 ! -o docker0 -j ACCEPT
-A FORWARD -i docker0 -o docker0 -j ACCEPT
-A FORWARD -o br-5f1a2b3c4d5e -j DOCKER
-A FORWARD -i br-5f1a2b3c4d5e ! -o br-5f1a2b3c4d5e -j ACCEPT
-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT
-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
-A DOCKER-ISOLATION-STAGE-2 -j RETURN
-A DOCKER-USER -j RETURN
";

    #[test]
    fn docker_rules_pass_and_a_reject_in_docker_user_fails() {
        let table = Table::parse(DOCKER);
        assert!(
            judge(&table, &table, "iptables").is_empty(),
            "{:?}",
            judge(&table, &table, "iptables")
        );
        // An internal network (a drill's) forwards nothing out, and is no finding.
        let internal = format!(
            "{DOCKER}-A FORWARD -i br-7393e5a7c1fb -o br-7393e5a7c1fb -j ACCEPT\n\
             -A DOCKER-ISOLATION-STAGE-1 ! -s 172.24.0.0/16 -o br-7393e5a7c1fb -j DROP\n\
             -A DOCKER-ISOLATION-STAGE-1 ! -d 172.24.0.0/16 -i br-7393e5a7c1fb -j DROP\n"
        );
        assert!(judge_one(&Table::parse(&internal)).is_empty());
        assert!(judge_one(&Table::parse("-P FORWARD ACCEPT\n")).is_empty());

        let rejecting = DOCKER.replace(
            "-A DOCKER-USER -j RETURN",
            "-A DOCKER-USER -m comment --comment \"block all\" -j REJECT --reject-with icmp-host-prohibited",
        );
        let found = judge_one(&Table::parse(&rejecting));
        assert_eq!(found[0].severity, Status::Fail);
        assert!(found[0].message.contains("DOCKER-USER"), "{found:?}");
        assert!(found[0].message.contains("br-5f1a2b3c4d5e"), "{found:?}");

        let flushed = judge_one(&Table::parse(
            "-P FORWARD DROP\n-A FORWARD -j DOCKER-USER\n-N DOCKER-USER\n",
        ));
        assert!(
            flushed[0].message.contains("the policy DROP"),
            "{flushed:?}"
        );
        assert!(flushed[0].remedy.as_ref().unwrap().contains("DOCKER-USER"));
        let legacy = Table::parse("-P FORWARD DROP\n");
        let legacy = judge(&legacy, &Table::parse(&internal), "iptables-legacy");
        assert_eq!(legacy[0].subject, "iptables-legacy FORWARD", "{legacy:?}");
        // The bridges Docker's rules name are tested against the legacy chain too, and
        // the remedy is the legacy backend's.
        assert!(legacy[0].message.contains("br-"), "{legacy:?}");
        let remedy = legacy[0].remedy.as_deref().unwrap_or_default();
        assert!(
            remedy.contains("iptables-legacy -P FORWARD ACCEPT"),
            "{remedy}"
        );
        let bare = judge_one(&Table::parse("-P FORWARD DROP\n"));
        assert!(
            bare[0]
                .remedy
                .as_ref()
                .unwrap()
                .contains("restart the engine")
        );
    }
}
