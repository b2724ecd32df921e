//! Unified diffs of edited manifests, for the dry run and the API: what a
//! reviewer would see in the PR's "Files changed". Pure.

/// Lines kept around each change.
const CONTEXT: usize = 2;
/// Beyond this many line pairs the diff shows the whole file replaced.
const MAX_CELLS: usize = 4_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Same,
    Removed,
    Added,
}

/// `(op, line)` for each line, by the longest common subsequence.
fn edits<'a>(old: &[&'a str], new: &[&'a str]) -> Vec<(Op, &'a str)> {
    let (n, m) = (old.len(), new.len());
    if n.saturating_mul(m) > MAX_CELLS {
        return old
            .iter()
            .map(|l| (Op::Removed, *l))
            .chain(new.iter().map(|l| (Op::Added, *l)))
            .collect();
    }
    // lengths[i][j]: LCS of old[i..] and new[j..].
    let mut lengths = vec![0u32; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lengths[at(i, j)] = if old[i] == new[j] {
                lengths[at(i + 1, j + 1)] + 1
            } else {
                lengths[at(i + 1, j)].max(lengths[at(i, j + 1)])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(n.max(m));
    while i < n || j < m {
        if i < n && j < m && old[i] == new[j] {
            out.push((Op::Same, old[i]));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lengths[at(i + 1, j)] >= lengths[at(i, j + 1)]) {
            out.push((Op::Removed, old[i]));
            i += 1;
        } else {
            out.push((Op::Added, new[j]));
            j += 1;
        }
    }
    out
}

/// The unified diff of `path` from `old` to `new` (empty when equal).
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let old_lines: Vec<&str> = old.lines().collect();
    let new_lines: Vec<&str> = new.lines().collect();
    let ops = edits(&old_lines, &new_lines);
    let mut out = format!("--- a/{path}\n+++ b/{path}\n");
    let changed: Vec<usize> = ops
        .iter()
        .enumerate()
        .filter(|(_, (op, _))| *op != Op::Same)
        .map(|(i, _)| i)
        .collect();
    let mut index = 0;
    while index < changed.len() {
        // A hunk spans changes whose contexts touch.
        let start = changed[index].saturating_sub(CONTEXT);
        let mut end = changed[index];
        while index < changed.len() && changed[index] <= end + 2 * CONTEXT + 1 {
            end = changed[index];
            index += 1;
        }
        let end = (end + CONTEXT + 1).min(ops.len());
        let old_start = ops[..start]
            .iter()
            .filter(|(op, _)| *op != Op::Added)
            .count();
        let new_start = ops[..start]
            .iter()
            .filter(|(op, _)| *op != Op::Removed)
            .count();
        let hunk = &ops[start..end];
        let old_count = hunk.iter().filter(|(op, _)| *op != Op::Added).count();
        let new_count = hunk.iter().filter(|(op, _)| *op != Op::Removed).count();
        out.push_str(&format!(
            "@@ -{},{old_count} +{},{new_count} @@\n",
            old_start + 1,
            new_start + 1
        ));
        for (op, line) in hunk {
            let sign = match op {
                Op::Same => ' ',
                Op::Removed => '-',
                Op::Added => '+',
            };
            out.push(sign);
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_changed_line_with_context() {
        let old = "a\nb\nc\nserde = \"1.0.190\"\nd\ne\nf\n";
        let new = "a\nb\nc\nserde = \"1.0.210\"\nd\ne\nf\n";
        assert_eq!(
            unified_diff("Cargo.toml", old, new),
            "--- a/Cargo.toml\n+++ b/Cargo.toml\n@@ -2,5 +2,5 @@\n b\n c\n-serde = \"1.0.190\"\n+serde = \"1.0.210\"\n d\n e\n"
        );
    }

    #[test]
    fn distant_changes_make_two_hunks_and_equal_texts_none() {
        let old: String = (1..=20).map(|i| format!("line {i}\n")).collect();
        let new = old
            .replace("line 3\n", "line three\n")
            .replace("line 18\n", "line eighteen\n");
        let diff = unified_diff("f", &old, &new);
        assert_eq!(diff.matches("@@ -").count(), 2, "{diff}");
        assert!(diff.contains("@@ -1,5 +1,5 @@"), "{diff}");
        assert!(diff.contains("@@ -16,5 +16,5 @@"), "{diff}");
        assert_eq!(unified_diff("f", &old, &old), "");
    }
}
