//! OneRoster bundles for tests: the sample bundle of seed/oneroster, edited per test, zipped
//! and uploaded as a client would.

use std::collections::BTreeMap;
use std::io::Write;

use super::{Resp, TestApp};

pub const IMPORT_PATH_PREFIX: &str = "/api/v1/districts/";

#[derive(Clone)]
pub struct Bundle {
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Bundle {
    /// The sample bundle committed in seed/oneroster (its CSV files only).
    pub fn sample() -> Bundle {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seed/oneroster");
        let mut files = BTreeMap::new();
        for entry in std::fs::read_dir(dir).expect("seed/oneroster") {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "csv") {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                files.insert(name, std::fs::read(&path).unwrap());
            }
        }
        Bundle { files }
    }

    pub fn text(&self, file: &str) -> String {
        String::from_utf8(self.files[file].clone()).unwrap()
    }

    pub fn set(&mut self, file: &str, content: impl Into<Vec<u8>>) -> &mut Bundle {
        self.files.insert(file.to_owned(), content.into());
        self
    }

    pub fn remove(&mut self, file: &str) -> &mut Bundle {
        self.files.remove(file);
        self
    }

    /// Rewrites a text file.
    pub fn edit(&mut self, file: &str, change: impl FnOnce(String) -> String) -> &mut Bundle {
        let changed = change(self.text(file));
        self.set(file, changed)
    }

    /// Drops the data rows of `file` whose first field is one of `source_ids`.
    pub fn drop_rows(&mut self, file: &str, source_ids: &[&str]) -> &mut Bundle {
        self.edit(file, |text| {
            text.lines()
                .filter(|line| {
                    !source_ids
                        .iter()
                        .any(|id| line.starts_with(&format!("{id},")))
                })
                .map(|line| format!("{line}\n"))
                .collect()
        })
    }

    /// Appends CSV lines to `file`.
    pub fn append(&mut self, file: &str, lines: &str) -> &mut Bundle {
        self.edit(file, |mut text| {
            if !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(lines);
            text
        })
    }

    /// Sets `file.<table>` in the manifest (bulk, delta or absent).
    pub fn manifest_mode(&mut self, table: &str, mode: &str) -> &mut Bundle {
        let key = format!("file.{table},");
        self.edit("manifest.csv", |text| {
            text.lines()
                .map(|line| {
                    if line.starts_with(&key) {
                        format!("{key}{mode}\n")
                    } else {
                        format!("{line}\n")
                    }
                })
                .collect()
        })
    }

    pub fn zip(&self) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        {
            let mut writer = zip::ZipWriter::new(&mut out);
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            for (name, content) in &self.files {
                writer.start_file(name.as_str(), options).unwrap();
                writer.write_all(content).unwrap();
            }
            writer.finish().unwrap();
        }
        out.into_inner()
    }

    /// Writes the bundle as a folder, for the command-line import.
    pub fn write_dir(&self, dir: &std::path::Path) {
        for (name, content) in &self.files {
            std::fs::write(dir.join(name), content).unwrap();
        }
    }
}

/// A multipart/form-data body with `bytes` in the field `file`.
pub fn multipart(bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "securebase-test-boundary-7d1f";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; \
             filename=\"oneroster.zip\"\r\nContent-Type: application/zip\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Uploads raw bytes as the bundle.
pub fn upload_bytes(
    app: &TestApp,
    token: &str,
    district: &str,
    bytes: &[u8],
    dry_run: bool,
) -> Resp {
    let (content_type, body) = multipart(bytes);
    app.request(
        "POST",
        &format!("{IMPORT_PATH_PREFIX}{district}/imports/oneroster?dry_run={dry_run}"),
        Some(token),
        &[("Content-Type", &content_type)],
        Some(&body),
    )
}

pub fn upload(app: &TestApp, token: &str, district: &str, bundle: &Bundle) -> Resp {
    upload_bytes(app, token, district, &bundle.zip(), false)
}
