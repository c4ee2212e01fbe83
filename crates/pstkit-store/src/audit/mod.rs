//! The messaging-layer audit: what Outlook and its Inbox Repair Tool check
//! above the node database ([MS-PST] 2.4 and 2.6). Every folder, table and
//! item is read once (folders and tables in folder order, items in the
//! order of their data in the file), and each value that disagrees with
//! what the rest of the file implies is a [`Finding`] under a rule of
//! [`RULES`] (the catalogue `docs/check-rules.md` describes), reported in
//! folder order.
//!
//! Memory: one pass over the node B-tree keeps 8 bytes per folder and item
//! node (its id and its parent's, sorted to find a folder's children), and
//! the findings (at most [`MAX_FINDINGS`], the rest counted; twice that
//! while items are read out of order). Tables are read one at a time;
//! items wait, with their rows' mirrored cells (a few hundred bytes each),
//! in batches of 16,384 that are read in file order.

mod decode;
mod sizes;
mod structure;
mod tree;

pub use sizes::{attach_size, size_on_disk};

use pstkit_ndb::{Ndb, Nid, NidType, Severity};

use crate::store::Store;

/// Findings kept in a report; the rest are only counted.
pub const MAX_FINDINGS: usize = 10_000;

/// One rule of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Its id, as reports print it.
    pub id: &'static str,
    /// How much a finding under it matters.
    pub severity: Severity,
    /// What it checks.
    pub checks: &'static str,
    /// Why: the spec section or the evidence from real files.
    pub why: &'static str,
    /// What `pstkit repair` does about it.
    pub repair: &'static str,
}

/// Repair's answer for every structure it writes anew.
const REBUILT: &str = "the output is written anew from the nodes: the value is recomputed";

/// Every rule the deep check applies, in the order the catalogue lists them.
pub const RULES: &[Rule] = &[
    Rule {
        id: "ndb-damage",
        severity: Severity::Error,
        checks: "pages, blocks, CRCs, signatures, ids, B-trees and allocation maps read (the NDB check)",
        why: "[MS-PST] 2.2; a structure that does not read is damage",
        repair: "the index is rebuilt from the file (recovery scan); items that still do not read are salvaged as far as they read and reported lost",
    },
    Rule {
        id: "bbt-refcount",
        severity: Severity::Error,
        checks: "each block's cRef is 1 (the BBT's own reference) plus the references to it (NBT entries, data and subnode tree slots); below that is an error, above it a warning",
        why: "[MS-PST] 2.2.2.7.7.3 (BBTENTRY cRef); holds on every block of every Outlook-written sample",
        repair: REBUILT,
    },
    Rule {
        id: "header-next-ids",
        severity: Severity::Error,
        checks: "the header's bidNextB and bidNextP lie above every block and page id in use, and rgnid[t] is at least every node index of type t from 0x400 up (a subnode above it is a note)",
        why: "[MS-PST] 2.2.2.6: a writer allocating from them would reuse an id; rgnid holds the last index handed out (every sample)",
        repair: REBUILT,
    },
    Rule {
        id: "mandatory-node",
        severity: Severity::Error,
        checks: "the nodes every store has exist: message store, name-to-id map, root folder and its three tables, search management queue, search activity list, search domain object, and the six table templates",
        why: "[MS-PST] 2.7.1 (mandatory nodes); present in every real Outlook-written sample",
        repair: "written by the writer of every new file",
    },
    Rule {
        id: "store-entry-id",
        severity: Severity::Error,
        checks: "the store's IPM subtree, Deleted Items and search root entry ids are 24-byte entry ids naming this store (its record key) and a folder node that exists (absent ones only in a PST: an OST's store names its folders otherwise)",
        why: "[MS-PST] 2.4.3; Outlook opens the IPM subtree through the entry id; both real Exchange OSTs lack all three",
        repair: "the special folders are recreated and the entry ids written for them",
    },
    Rule {
        id: "folder-tables",
        severity: Severity::Error,
        checks: "each folder has its hierarchy, contents and associated-contents tables; each search folder its update queue, criteria object and contents table",
        why: "[MS-PST] 2.4.4 and 2.4.8",
        repair: REBUILT,
    },
    Rule {
        id: "search-folder-nodes",
        severity: Severity::Warning,
        checks: "each search folder has its update queue, criteria object and search contents table",
        why: "[MS-PST] 2.4.8; a warning, not an error: Outlook's own \"All Messages\" search folder (0x723) has neither queue nor criteria object in four Outlook-written samples",
        repair: "search folders are results, not mail: the copy rebuilds the store's own search folder and leaves the others out",
    },
    Rule {
        id: "hierarchy-rows",
        severity: Severity::Error,
        checks: "a folder's hierarchy table has exactly one row per folder node whose parent is that folder",
        why: "[MS-PST] 2.4.4.4; a folder with no row is invisible to Outlook, a row with no folder is a broken link ScanPST removes",
        repair: "tables are rebuilt from the nodes; an orphaned folder is put back under its parent",
    },
    Rule {
        id: "contents-rows",
        severity: Severity::Error,
        checks: "a folder's contents table lists exactly the normal messages whose parent is the folder, its associated-contents table exactly the associated (FAI) ones",
        why: "[MS-PST] 2.4.4.5 and 2.4.4.6; a message with no row is invisible, a row with no message is a broken link",
        repair: "tables are rebuilt from the nodes; an orphaned item is put back in its folder",
    },
    Rule {
        id: "fai-node-type",
        severity: Severity::Error,
        checks: "a row of a contents table names a normal message node (type 0x04), a row of an associated-contents table an associated message node (0x08)",
        why: "[MS-PST] 2.2.2.1 (NID types) and 2.4.4.6; Outlook refuses a hidden item of the wrong type",
        repair: "each item is written under an id of the type its table implies",
    },
    Rule {
        id: "row-mirror",
        severity: Severity::Warning,
        checks: "a contents row's copies of the item's class, subject, size, flags and times equal the item's own",
        why: "[MS-PST] 2.4.4.5.1: the row mirrors the message; Outlook shows the row, so a stale one misleads the user",
        repair: REBUILT,
    },
    Rule {
        id: "row-mirror-size",
        severity: Severity::Note,
        checks: "a contents row's PidTagMessageSize equals the item's own",
        why: "[MS-PST] 2.4.4.5.1; a note: in 9 samples (5 of them Outlook's) the row holds a smaller size than the item (it grew after its row was written: 48 to 1,344 bytes)",
        repair: REBUILT,
    },
    Rule {
        id: "folder-counts",
        severity: Severity::Warning,
        checks: "PidTagContentCount, PidTagAssociatedContentCount, PidTagContentUnreadCount and PidTagSubfolders agree with the folder's tables",
        why: "[MS-PST] 2.4.4.1; Outlook recomputes stale counts",
        repair: REBUILT,
    },
    Rule {
        id: "message-size",
        severity: Severity::Warning,
        checks: "an item has a PidTagMessageSize above 0, at most 16 bytes above its size on disk and at least half of it (the size on disk: the decoded bytes of the message node and of every subnode below it)",
        why: "[MS-OXCMSG] 2.2.1.7; in files of Outlook 2007 SP2 and later the value is the size on disk (34 of 217 items of the Outlook-written samples exactly); older Outlook recorded a sum of property sizes, up to 43 % below it",
        repair: "recomputed as the size on disk of the item as written",
    },
    Rule {
        id: "message-size-exact",
        severity: Severity::Note,
        checks: "an item's PidTagMessageSize equals its size on disk",
        why: "what Outlook 2007 SP2 and later write, and what ScanPST compares the contents row with (ContinuMail's scanpst findings); older Outlook files differ, so a note",
        repair: "recomputed as the size on disk of the item as written",
    },
    Rule {
        id: "attach-size",
        severity: Severity::Error,
        checks: "PidTagAttachSize of an attachment, and its cell in the attachment table, equal the sum of the attachment's value sizes (fixed types their width, strings and binaries their stored bytes, PidTagAttachSize itself 4, an embedded object its ulSize)",
        why: "[MS-OXCMSG] 2.2.2.5; holds on all 1,436 attachments of the real samples, Outlook- and Aspose-written; ScanPST reports an invalid PR_ATTACH_SIZE",
        repair: "recomputed by the writer",
    },
    Rule {
        id: "table-structure",
        severity: Severity::Error,
        checks: "a table's RowIndex has one entry per row of the matrix, each pointing at the row with its id; column descriptors sorted by tag, inside the row, with distinct cell-existence bits; every cell whose bit is set reads",
        why: "[MS-PST] 2.3.4",
        repair: REBUILT,
    },
    Rule {
        id: "pc-structure",
        severity: Severity::Error,
        checks: "a property context's keys are unique and ascending, and every value it refers to reads",
        why: "[MS-PST] 2.3.2 and 2.3.3",
        repair: REBUILT,
    },
    Rule {
        id: "name-map",
        severity: Severity::Error,
        checks: "the name-to-id map's bucket count, that every entry names a GUID that exists and its own index, that each entry sits in the bucket its hash gives, and that every named property an item uses is in the map",
        why: "[MS-PST] 2.4.7",
        repair: "the map is written anew with the names the copied items use",
    },
    Rule {
        id: "item-decodes",
        severity: Severity::Error,
        checks: "every folder and item reads whole, as a copy reads it: each property value, the recipient rows, each attachment's values (its bytes located, their blocks being the NDB check's), embedded messages to 32 levels",
        why: "an item that does not decode is damaged",
        repair: "salvaged as far as it reads; what is lost is reported",
    },
];

/// The catalogue entry of rule `id`.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// A value of the messaging layer that disagrees with the rest of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule's id (see [`RULES`]).
    pub rule: &'static str,
    /// How much it matters.
    pub severity: Severity,
    /// The node it is about (0: the file).
    pub nid: u32,
    /// The folder path (`/`-joined display names below the root), where
    /// there is one.
    pub path: String,
    /// What the rest of the file implies.
    pub expected: String,
    /// What the file holds.
    pub found: String,
}

/// The outcome of [`audit`].
#[derive(Debug, Default)]
pub struct AuditReport {
    /// Findings in walk order (at most [`MAX_FINDINGS`]).
    pub findings: Vec<Finding>,
    /// Findings beyond [`MAX_FINDINGS`], counted only.
    pub dropped: u64,
    /// Folders read (the root folder included).
    pub folders: u64,
    /// Items read (associated ones included).
    pub items: u64,
}

impl AuditReport {
    /// Findings of a severity (the dropped ones not counted).
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// Whether some finding is an error (or some were dropped: they may be).
    pub fn has_errors(&self) -> bool {
        self.dropped > 0 || self.count(Severity::Error) > 0
    }

    /// Adds another report's findings after this one's.
    fn merge(&mut self, other: AuditReport) {
        for f in other.findings {
            if self.findings.len() < MAX_FINDINGS {
                self.findings.push(f);
            } else {
                self.dropped += 1;
            }
        }
        self.dropped += other.dropped;
        self.folders += other.folders;
        self.items += other.items;
    }

    pub(crate) fn add(
        &mut self,
        rule: &'static str,
        nid: Nid,
        path: &str,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) {
        if self.findings.len() >= MAX_FINDINGS {
            self.dropped += 1;
            return;
        }
        let severity = self::rule(rule).map_or(Severity::Error, |r| r.severity);
        self.findings.push(Finding {
            rule,
            severity,
            nid: nid.0,
            path: path.to_string(),
            expected: expected.into(),
            found: found.into(),
        });
    }
}

/// Audits the messaging layer of the file behind `ndb` (the node database
/// itself is `pstkit_ndb::check`'s). A store that does not open is one
/// `item-decodes` finding on node 0x21.
pub fn audit(ndb: Ndb<'_>) -> AuditReport {
    audit_with(ndb, None)
}

/// [`audit`] on at most `threads` threads (`None`: two for files from
/// 16 MiB, one below; the work is split in two, so more are never used).
/// The report does not depend on the number.
pub fn audit_with(ndb: Ndb<'_>, threads: Option<usize>) -> AuditReport {
    audit_in(ndb, threads, tree::BATCH)
}

/// [`audit_with`], the items read `batch` at a time.
fn audit_in(ndb: Ndb<'_>, threads: Option<usize>, batch: usize) -> AuditReport {
    let mut r = AuditReport::default();
    structure::mandatory_nodes(ndb, &mut r);
    let store = match Store::open(ndb) {
        Ok(s) => s,
        Err(e) => {
            r.add(
                "item-decodes",
                Nid::MESSAGE_STORE,
                "",
                "a message store that reads",
                e.to_string(),
            );
            return r;
        }
    };
    if let Some(e) = store.name_map_error() {
        r.add(
            "item-decodes",
            Nid::NAME_TO_ID_MAP,
            "",
            "a named-property map that reads",
            format!("named-property map: {e}"),
        );
    }
    structure::property_context(store.properties(), "", &mut r);
    structure::entry_ids(&store, &mut r);
    structure::name_map(ndb, &mut r);
    tree::walk(&store, threads, batch, &mut r);
    r
}

/// Folder and item nodes by parent: the node B-tree's view of the tree,
/// which the tables must agree with.
pub(crate) struct Children {
    /// (parent, child) for every folder and message node, sorted.
    pairs: Vec<(u32, u32)>,
}

impl Children {
    fn read(ndb: Ndb<'_>) -> Children {
        let mut pairs: Vec<(u32, u32)> = ndb
            .nodes()
            .filter_map(|e| e.ok())
            .filter(|e| {
                matches!(
                    e.nid.kind(),
                    NidType::NormalFolder
                        | NidType::SearchFolder
                        | NidType::NormalMessage
                        | NidType::AssocMessage
                ) && e.nid != Nid::ROOT_FOLDER
            })
            .map(|e| (e.parent.0, e.nid.0))
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        Children { pairs }
    }

    /// The nodes whose parent is `parent`, of the kinds `kinds`, in id order.
    fn of(&self, parent: Nid, kinds: &[NidType]) -> Vec<Nid> {
        let start = self.pairs.partition_point(|p| p.0 < parent.0);
        self.pairs[start..]
            .iter()
            .take_while(|p| p.0 == parent.0)
            .map(|p| Nid(p.1))
            .filter(|n| kinds.contains(&n.kind()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A generated mailbox without block encoding, and copies of it with
    /// bytes flipped past the header: damage the audit finds in items,
    /// tables and folders.
    fn mailboxes() -> Vec<Vec<u8>> {
        use crate::synth::{generate, SynthOptions};
        use crate::write::{PstWriter, WriterOptions};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.pst");
        let o = WriterOptions {
            crypt: pstkit_ndb::CryptMethod::None,
            record_key: Some([3; 16]),
            ..WriterOptions::default()
        };
        let mut w = PstWriter::create(&path, o).unwrap();
        generate(&mut w, &SynthOptions::new(60, 4), |_| {}).unwrap();
        w.finish().unwrap();
        let good = std::fs::read(path).unwrap();
        let mut all = vec![good.clone()];
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..6 {
            let mut d = good.clone();
            for _ in 0..40 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let at = 0x4400 + (x % (d.len() as u64 - 0x4400)) as usize;
                d[at] ^= 1 << (x >> 61);
            }
            all.push(d);
        }
        all
    }

    #[test]
    fn findings_do_not_depend_on_the_order_items_are_read_in() {
        let mut some = 0;
        for data in mailboxes() {
            let file = pstkit_ndb::NdbFile::new_lenient(&data[..]).unwrap();
            // A batch of one reads each item where the walk meets it.
            let walked = audit_in(file.ndb(), Some(1), 1);
            some += walked.findings.len();
            for (threads, batch) in [(1, 7), (1, tree::BATCH), (2, 1), (2, 5), (2, tree::BATCH)] {
                let r = audit_in(file.ndb(), Some(threads), batch);
                assert_eq!(
                    r.findings, walked.findings,
                    "{threads} threads, batch {batch}"
                );
                assert_eq!(
                    (r.dropped, r.folders, r.items),
                    (walked.dropped, walked.folders, walked.items)
                );
            }
        }
        assert!(some > 10, "the damage was found: {some} findings");
    }

    #[test]
    fn findings_filed_out_of_order_come_back_in_walk_order() {
        // Slot s holds (s % 3) + 1 findings; filed in a scrambled order,
        // past the cap, they keep what a report made in order keeps.
        let slots = MAX_FINDINGS as u64 + 7;
        let report = |s: u64| {
            let mut r = AuditReport::default();
            for i in 0..(s % 3) + 1 {
                r.add("folder-counts", Nid(s as u32), "", i.to_string(), "x");
            }
            r
        };
        let mut in_order = AuditReport::default();
        for s in 0..slots {
            in_order.merge(report(s));
        }
        let mut ordered = tree::Ordered::default();
        for k in 0..slots {
            let s = k * 7919 % slots;
            ordered.put(s, report(s));
        }
        let mut r = AuditReport::default();
        ordered.into(&mut r);
        assert_eq!(r.findings, in_order.findings);
        assert_eq!(r.dropped, in_order.dropped);
        assert!(r.dropped > 0);
    }

    #[test]
    fn every_rule_id_is_listed_once() {
        let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n);
        assert!(rule("hierarchy-rows").is_some());
        assert!(rule("no-such-rule").is_none());
    }

    #[test]
    fn findings_past_the_cap_are_counted_not_kept() {
        let mut a = AuditReport::default();
        for i in 0..MAX_FINDINGS + 2 {
            a.add("folder-counts", Nid(i as u32), "", "1", "2");
        }
        assert_eq!((a.findings.len(), a.dropped), (MAX_FINDINGS, 2));
        assert_eq!(a.findings[0].severity, Severity::Warning);
        assert!(a.has_errors(), "dropped findings may be errors");
        // Joined, the second report's findings fill what the first left.
        let mut b = AuditReport::default();
        for i in 0..3 {
            b.add("hierarchy-rows", Nid(i), "x", "e", "f");
        }
        b.folders = 4;
        let mut c = AuditReport::default();
        c.add("name-map", Nid(9), "", "e", "f");
        c.merge(b);
        assert_eq!(c.findings.len(), 4);
        assert_eq!(c.folders, 4);
        assert_eq!(c.count(Severity::Error), 4);
        assert!(c.has_errors());
        let mut w = AuditReport::default();
        w.add("folder-counts", Nid(1), "", "1", "2");
        assert!(!w.has_errors(), "a warning is not an error");
        a.merge(c);
        assert_eq!((a.findings.len(), a.dropped), (MAX_FINDINGS, 6));
    }
}
