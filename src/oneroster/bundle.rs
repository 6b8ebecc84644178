//! A OneRoster bundle as delivered: a zip file or a folder of CSV files, opened under limits
//! (a zip bomb or an oversized file is refused with a message, never read to the end).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use zip::ZipArchive;

/// The files of OneRoster 1.1 that the importer reads, in the order it reads them.
pub const USED_FILES: [&str; 7] = [
    "manifest.csv",
    "orgs.csv",
    "academicSessions.csv",
    "courses.csv",
    "users.csv",
    "classes.csv",
    "enrollments.csv",
];

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most bytes all CSV files of the bundle may hold together, uncompressed.
    pub max_uncompressed_bytes: u64,
}

enum Source {
    Zip(ZipArchive<File>),
    Folder(PathBuf),
}

/// Why a bundle could not be opened at all (reported against the bundle, not a file in it).
#[derive(Debug)]
pub struct OpenError(pub String);

pub struct Bundle {
    source: Source,
    /// Canonical OneRoster file name → name of the entry or file that holds it.
    entries: BTreeMap<&'static str, String>,
    /// Entries that are not read (other OneRoster tables, stray files).
    ignored: Vec<String>,
    /// Uncompressed bytes still allowed to be read.
    budget: u64,
    limits: Limits,
}

impl Bundle {
    /// Opens `path`: a folder of CSV files, or a zip archive (recognised by its signature, not its name).
    pub fn open(path: &Path, limits: Limits) -> Result<Bundle, OpenError> {
        if path.is_dir() {
            let mut names = Vec::new();
            let listing = std::fs::read_dir(path)
                .map_err(|e| OpenError(format!("cannot list the folder: {e}")))?;
            for entry in listing.flatten() {
                if entry.path().is_file() {
                    names.push(entry.file_name().to_string_lossy().into_owned());
                }
            }
            let bundle = Bundle::with_entries(Source::Folder(path.to_owned()), names, limits)?;
            let mut total = 0u64;
            for name in bundle.entries.values() {
                total += std::fs::metadata(path.join(name))
                    .map(|m| m.len())
                    .unwrap_or(0);
            }
            bundle.check_declared_size(total)?;
            return Ok(bundle);
        }
        let mut file = File::open(path).map_err(|e| OpenError(format!("cannot open: {e}")))?;
        let mut signature = [0u8; 4];
        let is_zip = file.read_exact(&mut signature).is_ok() && signature == *b"PK\x03\x04";
        if !is_zip {
            return Err(OpenError(
                "not a zip archive: upload the OneRoster CSV files zipped together".to_owned(),
            ));
        }
        let archive =
            ZipArchive::new(File::open(path).map_err(|e| OpenError(format!("cannot open: {e}")))?)
                .map_err(|e| OpenError(format!("not a readable zip archive: {e}")))?;
        let names: Vec<String> = archive
            .file_names()
            .map(|name| name.map(|n| n.into_owned()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| OpenError(format!("unreadable file name in the zip archive: {e}")))?
            .into_iter()
            .filter(|name| !name.ends_with('/'))
            .collect();
        let mut bundle = Bundle::with_entries(Source::Zip(archive), names, limits)?;
        // Declared sizes can lie; reading is metered as well (see `read`), this only refuses early.
        let mut total = 0u64;
        if let Source::Zip(archive) = &mut bundle.source {
            for name in bundle.entries.values() {
                let entry = archive
                    .by_name(name)
                    .map_err(|e| OpenError(format!("{name}: {e}")))?;
                total = total.saturating_add(entry.size());
            }
        }
        bundle.check_declared_size(total)?;
        Ok(bundle)
    }

    fn with_entries(
        source: Source,
        names: Vec<String>,
        limits: Limits,
    ) -> Result<Bundle, OpenError> {
        let mut entries = BTreeMap::new();
        let mut ignored = Vec::new();
        for name in names {
            let base = name.rsplit('/').next().unwrap_or(&name);
            if base.starts_with('.') || name.starts_with("__MACOSX/") {
                continue;
            }
            match USED_FILES.iter().find(|f| f.eq_ignore_ascii_case(base)) {
                Some(canonical) => {
                    if let Some(previous) = entries.insert(*canonical, name.clone()) {
                        return Err(OpenError(format!(
                            "the bundle holds {canonical} twice ({previous} and {name})"
                        )));
                    }
                }
                None => ignored.push(name),
            }
        }
        if !entries.contains_key("manifest.csv") {
            return Err(OpenError(
                "manifest.csv is missing: a OneRoster 1.1 bundle must have one".to_owned(),
            ));
        }
        ignored.sort();
        Ok(Bundle {
            source,
            entries,
            ignored,
            budget: limits.max_uncompressed_bytes,
            limits,
        })
    }

    fn check_declared_size(&self, total: u64) -> Result<(), OpenError> {
        if total > self.limits.max_uncompressed_bytes {
            return Err(OpenError(format!(
                "the bundle expands to {total} bytes, over the limit of {} bytes \
                 (IMPORT_MAX_UNCOMPRESSED_BYTES)",
                self.limits.max_uncompressed_bytes
            )));
        }
        Ok(())
    }

    pub fn has(&self, file: &str) -> bool {
        self.entries.contains_key(file)
    }

    pub fn ignored(&self) -> &[String] {
        &self.ignored
    }

    /// Runs `read` over the bytes of `file`. Reading past the bundle's uncompressed budget
    /// fails with an I/O error whose message names the limit.
    pub fn read<R>(
        &mut self,
        file: &str,
        read: impl FnOnce(&mut dyn Read) -> R,
    ) -> io::Result<Option<R>> {
        let Some(name) = self.entries.get(file).cloned() else {
            return Ok(None);
        };
        let limit = self.limits.max_uncompressed_bytes;
        let budget = &mut self.budget;
        match &mut self.source {
            Source::Folder(dir) => {
                let mut metered = Metered::new(File::open(dir.join(&name))?, budget, limit);
                Ok(Some(read(&mut metered)))
            }
            Source::Zip(archive) => {
                let entry = archive.by_name(&name).map_err(io::Error::other)?;
                let mut metered = Metered::new(entry, budget, limit);
                Ok(Some(read(&mut metered)))
            }
        }
    }
}

/// Counts the bytes read against the bundle's budget; past it, every read fails.
struct Metered<'b, R> {
    inner: R,
    budget: &'b mut u64,
    limit: u64,
}

impl<'b, R> Metered<'b, R> {
    fn new(inner: R, budget: &'b mut u64, limit: u64) -> Metered<'b, R> {
        Metered {
            inner,
            budget,
            limit,
        }
    }
}

impl<R: Read> Read for Metered<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if *self.budget == 0 {
            // One byte more than allowed tells an exact fit from an overflow.
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? == 0 {
                return Ok(0);
            }
            return Err(io::Error::other(format!(
                "the bundle expands beyond the limit of {} bytes (IMPORT_MAX_UNCOMPRESSED_BYTES)",
                self.limit
            )));
        }
        let allowed = buf
            .len()
            .min(usize::try_from(*self.budget).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..allowed])?;
        *self.budget -= n as u64;
        Ok(n)
    }
}
