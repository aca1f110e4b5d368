// Package memory gives the tree search what it has learned, in three tiers
// (after ML-Master 2.0's hierarchical cognitive cache):
//
//   - Immediate experience: [Context] assembles the memory text for one
//     expansion (draft, improve or debug) from raw nodes of the tree, within a
//     character budget and with a fixed truncation order (see [Context]).
//   - Task knowledge: [Distil] turns the finished nodes of one task-run into
//     [Knowledge] (best designs, recurring errors, changes that did not help)
//     deterministically; [TaskKnowledge] persists it atomically in the item
//     directory so it survives resume, and optionally lets a caller-supplied
//     [RefineFunc] (the feedback model) rewrite the text.
//   - Cross-task wisdom: [Store] keeps one immutable JSON file per [Entry] in
//     a directory on a shared filesystem. Many processes on many hosts may
//     write at once: files are content-addressed, written under a temporary
//     name and renamed, and never rewritten; readers skip temporary and
//     unparsable files and count them. [Store.Search] ranks entries with BM25
//     for a new task and [FormatWisdom] renders them for the first drafts.
//
// The package knows nothing of package search: callers convert their tree
// nodes into [Node] values. It reads no clock except through [Store]'s
// configurable Now and the timestamps callers pass in.
package memory
