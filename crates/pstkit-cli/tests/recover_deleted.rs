//! `convert --recover-deleted`: a message deleted the way Outlook deletes
//! one (its folder's row gone, its node-index entry gone from the live
//! leaf, the old leaf left in free space with the entry still in it, its
//! blocks not yet reused) comes back in "Recovered deleted items", with
//! its content; without the option it stays deleted; a deleted item whose
//! blocks were reused is listed, not counted as a loss.

#[allow(dead_code)]
#[path = "common/cli.rs"]
mod cli;
#[path = "../../pstkit-ndb/tests/damage/mod.rs"]
mod damage;
#[path = "common/readers.rs"]
mod readers;
#[path = "../../pstkit-store/tests/rules/mod.rs"]
mod rules;

use std::path::Path;

use pstkit::ltp::TableContext;
use pstkit::ndb::amap::{map_bits_at, AMAP_SPAN, FIRST_AMAP};
use pstkit::ndb::btree::{BtPage, NbtEntry};
use pstkit::ndb::page::PageType;
use pstkit::ndb::write::seal_page;
use pstkit::ndb::{Header, Ib, NdbFile, Nid, NidType};
use pstkit::store::Store;
use pstkit::{ltp, ndb, store};
use pstkit_fixtures::real;
use serde_json::Value;

/// A page-aligned page the allocation maps mark free, from the end.
fn free_page(data: &[u8], f: ndb::Format) -> usize {
    let ps = f.page_size;
    let mut ib = (data.len() / ps) * ps;
    while ib >= FIRST_AMAP as usize + ps {
        ib -= ps;
        let span = (ib as u64 - FIRST_AMAP) / AMAP_SPAN;
        let map = (FIRST_AMAP + span * AMAP_SPAN) as usize;
        if ib == map {
            continue;
        }
        let bits = &data[map + map_bits_at(f)..];
        let first = (ib - map) / 64;
        let free = (first..first + ps / 64).all(|i| bits[i / 8] & (0x80 >> (i % 8)) == 0);
        if free && data[ib..ib + ps].iter().all(|&b| b == 0) {
            return ib;
        }
    }
    panic!("no free page");
}

/// Deletes `message` of `folder` (its folder's only item) as Outlook does;
/// returns its subject.
fn delete(data: &mut [u8], folder: Nid, message: Nid) {
    let h = Header::parse(data).unwrap();
    let f = h.format;
    // The folder's contents table empties: no row matrix, no RowIndex root.
    let (rows_at, root_at) = {
        let file = NdbFile::new(&data[..]).unwrap();
        let node = file
            .ndb()
            .node(folder.with_kind(NidType::ContentsTable))
            .unwrap();
        let tc = TableContext::read(node).unwrap();
        assert_eq!(tc.row_count(), 1);
        let info = tc.heap().get(tc.heap().user_root()).unwrap();
        let bth = tc.heap().get(tc.info().row_index).unwrap();
        (offset_of(data, info) + 14, offset_of(data, bth) + 4)
    };
    damage::patch_sealed(data, rows_at, &0u32.to_le_bytes());
    damage::patch_sealed(data, root_at, &0u32.to_le_bytes());
    // The leaf listing the message is copied into free space as it is (the
    // page Outlook's rewrite leaves behind), then the entry leaves the live
    // leaf.
    let (bref, i) = damage::nbt_leaves(data, f, h.root.nbt)
        .into_iter()
        .find_map(|(bref, nids)| Some((bref, nids.iter().position(|&n| n == message.0)?)))
        .unwrap();
    let at = bref.ib.0 as usize;
    let ps = f.page_size;
    let stale = free_page(data, f);
    let page = data[at..at + ps].to_vec();
    data[stale..stale + ps].copy_from_slice(&page);
    seal_page(
        &mut data[stale..stale + ps],
        f,
        PageType::Nbt,
        bref.bid,
        Ib(stale as u64),
    );
    let info = BtPage::read::<NbtEntry>(data, f, bref, Some(0))
        .unwrap()
        .info;
    let size = info.entry_size;
    let n = info.count;
    data.copy_within(at + (i + 1) * size..at + n * size, at + i * size);
    data[at + (n - 1) * size..at + n * size].fill(0);
    data[at + f.bt_entries_size()] = (n - 1) as u8;
    seal_page(&mut data[at..at + ps], f, PageType::Nbt, bref.bid, bref.ib);
}

fn offset_of(data: &[u8], part: &[u8]) -> usize {
    part.as_ptr() as usize - data.as_ptr() as usize
}

/// `convert [ARGS] SRC DST --json`: exit code and summary.
fn convert(src: &Path, dst: &Path, args: &[&str]) -> (Option<i32>, Value) {
    let mut all: Vec<&std::ffi::OsStr> = vec!["convert".as_ref()];
    all.extend(args.iter().map(std::ffi::OsStr::new));
    all.extend([src.as_os_str(), dst.as_os_str(), "--json".as_ref()]);
    let out = cli::pstkit(&all);
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), v)
}

#[test]
fn a_deleted_message_comes_back_in_its_own_folder() {
    let mut data = rules::good().to_vec();
    // The folder whose only item is a mail, and that item.
    let (folder, message, subject) = {
        let file = NdbFile::new(&data[..]).unwrap();
        let s = Store::open(file.ndb()).unwrap();
        s.walk()
            .map(|w| w.unwrap().folder)
            .find_map(|f| {
                let ids = f.message_ids().ok()?;
                let m = s.message(*ids.first()?).ok()?;
                (ids.len() == 1 && m.class() == "IPM.Note")
                    .then(|| (f.nid(), ids[0], m.subject().unwrap()))
            })
            .expect("a folder with one mail")
    };
    delete(&mut data, folder, message);
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("deleted.pst");
    std::fs::write(&src, &data).unwrap();

    // Without the option the message stays deleted, and nothing is lost.
    let (code, v) = convert(&src, &dir.path().join("plain.pst"), &["--salvage"]);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["items"], rules::ITEMS as u64 - 1, "{v}");

    // With it, the message is back, in its own folder, whole.
    let out = dir.path().join("recovered.pst");
    let (code, v) = convert(&src, &out, &["--recover-deleted"]);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["deleted"]["recovered"], 1, "{v}");
    assert_eq!(v["items"], rules::ITEMS as u64, "{v}");
    let file = NdbFile::open(&out).unwrap();
    let s = Store::open(file.ndb()).unwrap();
    let back = s
        .walk()
        .map(|w| w.unwrap())
        .find(|w| w.path.last().map(String::as_str) == Some(pstkit::copy::RECOVERED_DELETED_FOLDER))
        .expect("the folder of deleted items");
    let ids = back.folder.message_ids().unwrap();
    assert_eq!(ids.len(), 1);
    assert_eq!(s.message(ids[0]).unwrap().subject(), Some(subject));
    let check = cli::pstkit(&["check".as_ref(), "--deep".as_ref(), out.as_os_str()]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    if readers::installed() {
        let rp = readers::readpst_items(&out, &dir.path().join("rp"));
        assert_eq!(rp, rules::ITEMS, "readpst reads every item of the copy");
    }
}

/// Aspose's sample OST holds one deleted message whose blocks were reused:
/// it is listed as found and unreadable, and the copy is complete.
#[test]
fn a_deleted_message_whose_blocks_were_reused_is_listed_not_lost() {
    let Some((_, src)) = real::all()
        .into_iter()
        .find(|(n, _)| n.ends_with("SampleOstFile.ost"))
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (code, v) = convert(&src, &dir.path().join("out.pst"), &["--recover-deleted"]);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["deleted"]["recovered"], 0, "{v}");
    let unreadable = v["deleted"]["unreadable"].as_array().unwrap();
    assert_eq!(unreadable.len(), 1, "{v}");
    assert!(v["skipped"].as_array().unwrap().is_empty(), "{v}");
}
