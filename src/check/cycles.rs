//! Finds definitions that depend on each other in a loop and names the whole loop.

use std::collections::{HashMap, VecDeque};

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use super::Edge;
use crate::diagnostics::{Code, Diagnostic};
use crate::source_db::Span;
use crate::syntax::ast::Definition;

pub fn find(order: &[&Definition], edges: &[Edge]) -> Vec<Diagnostic> {
    // Nodes in definition order, so the graph, and the cycles found in it, are deterministic.
    let mut graph: DiGraph<&str, Span> = DiGraph::new();
    let mut index: HashMap<&str, NodeIndex> = HashMap::new();
    for def in order {
        let name = def.name().name.as_str();
        index.entry(name).or_insert_with(|| graph.add_node(name));
    }
    for edge in edges {
        if let (Some(&a), Some(&b)) = (index.get(edge.from.as_str()), index.get(edge.to.as_str()))
            && graph.find_edge(a, b).is_none()
        {
            graph.add_edge(a, b, edge.at);
        }
    }
    let mut diagnostics = Vec::new();
    let mut components = tarjan_scc(&graph);
    components.iter_mut().for_each(|c| c.sort());
    components.sort();
    for component in components {
        let start = component[0];
        let is_cycle = component.len() > 1 || graph.find_edge(start, start).is_some();
        if !is_cycle {
            continue;
        }
        let path = shortest_loop(&graph, start, &component);
        let names: Vec<String> = path.iter().map(|&n| format!("`{}`", graph[n])).collect();
        let mut d = Diagnostic::error(
            Code::DependencyCycle,
            format!(
                "definitions depend on each other in a loop: {}",
                names.join(" → ")
            ),
        );
        for (k, pair) in path.windows(2).enumerate() {
            let Some(edge) = graph.find_edge(pair[0], pair[1]) else {
                continue;
            };
            let message = format!("`{}` uses `{}` here", graph[pair[0]], graph[pair[1]]);
            d = if k == 0 {
                d.primary(graph[edge], message)
            } else {
                d.secondary(graph[edge], message)
            };
        }
        diagnostics.push(
            d.help("break the loop: one of these definitions must be computed without the others"),
        );
    }
    diagnostics
}

/// The shortest path from `start` back to itself within one strongly connected component,
/// including `start` at both ends.
fn shortest_loop(
    graph: &DiGraph<&str, Span>,
    start: NodeIndex,
    component: &[NodeIndex],
) -> Vec<NodeIndex> {
    let mut previous: HashMap<NodeIndex, NodeIndex> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        let mut next: Vec<NodeIndex> = graph.neighbors(node).collect();
        next.sort();
        for n in next {
            if !component.contains(&n) {
                continue;
            }
            if n == start {
                let mut path = vec![node];
                let mut at = node;
                while at != start {
                    at = previous[&at];
                    path.push(at);
                }
                path.reverse();
                path.push(start);
                return path;
            }
            if !previous.contains_key(&n) && n != start {
                previous.insert(n, node);
                queue.push_back(n);
            }
        }
    }
    vec![start, start]
}
