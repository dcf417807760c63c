//! A ZIP archive written front to back, for downloads streamed while they are produced: each
//! file's size and CRC-32 follow its data (a "data descriptor", general-purpose flag bit 3), so
//! nothing is buffered or sought back to. Entries are stored, not compressed: CSV of this kind
//! compresses well, but a download's size matters less here than its bounded memory and CPU.
//!
//! Why not the `zip` crate (2.x, MIT, which `deny.toml` allows): its writer needs `Seek`, so it
//! would have to hold the archive in memory or a temporary file. This format subset is small and
//! fully specified (PKWARE APPNOTE, sections 4.3 and 4.4).
//!
//! Limits: no ZIP64, so an entry and the whole archive stay under 4 GiB
//! ([`ZipError::TooLarge`] stops the stream before a size would wrap); at most 65,535 entries.

/// An entry or the archive reached the 4 GiB limit of plain ZIP.
#[derive(Debug, thiserror::Error)]
pub enum ZipError {
    /// Would exceed 4 GiB.
    #[error("the archive would exceed 4 GiB: choose a shorter window")]
    TooLarge,
}

const LOCAL_HEADER: u32 = 0x0403_4b50;
const DATA_DESCRIPTOR: u32 = 0x0807_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL: u32 = 0x0605_4b50;
/// Data descriptor follows (bit 3) and names are UTF-8 (bit 11).
const FLAGS: u16 = 0x0008 | 0x0800;
/// ZIP 2.0: what every unzip tool reads.
const VERSION: u16 = 20;
/// 1980-01-01 00:00 in MS-DOS format (time 0, date (0 << 9) | (1 << 5) | 1): exports carry no
/// meaningful file times, and a fixed one keeps archives reproducible.
const DOS_DATE: u16 = (1 << 5) | 1;

struct Done {
    name: String,
    crc: u32,
    size: u32,
    offset: u32,
}

/// The state of an archive being written: call [`ZipStream::start`], [`ZipStream::data`] as the
/// bytes come, [`ZipStream::finish_entry`], …, then [`ZipStream::finish`]; each returns the
/// bytes to send next.
#[derive(Default)]
pub struct ZipStream {
    offset: u64,
    entries: Vec<Done>,
    current: Option<(String, crc32fast::Hasher, u64, u64)>,
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn small(v: u64) -> Result<u32, ZipError> {
    u32::try_from(v).map_err(|_| ZipError::TooLarge)
}

impl ZipStream {
    /// A new, empty archive.
    pub fn new() -> ZipStream {
        ZipStream::default()
    }

    /// Begins an entry named `name`: its local header.
    pub fn start(&mut self, name: &str) -> Result<Vec<u8>, ZipError> {
        let mut out = Vec::with_capacity(30 + name.len());
        put32(&mut out, LOCAL_HEADER);
        put16(&mut out, VERSION);
        put16(&mut out, FLAGS);
        put16(&mut out, 0); // stored
        put16(&mut out, 0); // time
        put16(&mut out, DOS_DATE);
        put32(&mut out, 0); // CRC, sizes: in the data descriptor
        put32(&mut out, 0);
        put32(&mut out, 0);
        put16(&mut out, name.len() as u16);
        put16(&mut out, 0);
        out.extend_from_slice(name.as_bytes());
        let at = self.offset;
        small(at)?;
        self.offset += out.len() as u64;
        self.current = Some((name.to_owned(), crc32fast::Hasher::new(), 0, at));
        Ok(out)
    }

    /// Accounts for `bytes` of the current entry (sent as they are).
    pub fn data(&mut self, bytes: &[u8]) -> Result<(), ZipError> {
        if let Some((_, crc, size, _)) = self.current.as_mut() {
            crc.update(bytes);
            *size += bytes.len() as u64;
            small(*size)?;
        }
        self.offset += bytes.len() as u64;
        small(self.offset)?;
        Ok(())
    }

    /// Ends the current entry: its data descriptor.
    pub fn finish_entry(&mut self) -> Result<Vec<u8>, ZipError> {
        let Some((name, crc, size, at)) = self.current.take() else {
            return Ok(Vec::new());
        };
        let (crc, size) = (crc.finalize(), small(size)?);
        let mut out = Vec::with_capacity(16);
        put32(&mut out, DATA_DESCRIPTOR);
        put32(&mut out, crc);
        put32(&mut out, size);
        put32(&mut out, size);
        self.offset += out.len() as u64;
        self.entries.push(Done {
            name,
            crc,
            size,
            offset: small(at)?,
        });
        Ok(out)
    }

    /// Ends the archive: the central directory and its end record.
    pub fn finish(mut self) -> Result<Vec<u8>, ZipError> {
        let mut out = self.finish_entry()?;
        let cd_start = small(self.offset + out.len() as u64)?;
        let mut cd = Vec::new();
        for e in &self.entries {
            put32(&mut cd, CENTRAL_HEADER);
            put16(&mut cd, VERSION);
            put16(&mut cd, VERSION);
            put16(&mut cd, FLAGS);
            put16(&mut cd, 0);
            put16(&mut cd, 0);
            put16(&mut cd, DOS_DATE);
            put32(&mut cd, e.crc);
            put32(&mut cd, e.size);
            put32(&mut cd, e.size);
            put16(&mut cd, e.name.len() as u16);
            put16(&mut cd, 0); // extra
            put16(&mut cd, 0); // comment
            put16(&mut cd, 0); // disk
            put16(&mut cd, 0); // internal attributes
            put32(&mut cd, 0); // external attributes
            put32(&mut cd, e.offset);
            cd.extend_from_slice(e.name.as_bytes());
        }
        let n = u16::try_from(self.entries.len()).map_err(|_| ZipError::TooLarge)?;
        let cd_len = small(cd.len() as u64)?;
        small(cd_start as u64 + cd_len as u64)?;
        out.extend_from_slice(&cd);
        put32(&mut out, END_OF_CENTRAL);
        put16(&mut out, 0);
        put16(&mut out, 0);
        put16(&mut out, n);
        put16(&mut out, n);
        put32(&mut out, cd_len);
        put32(&mut out, cd_start);
        put16(&mut out, 0);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The archive's structure, read back by its own offsets: local headers where the central
    /// directory says, sizes and CRCs matching the data.
    #[test]
    fn entries_are_found_through_the_central_directory() {
        let mut z = ZipStream::new();
        let mut out = Vec::new();
        for (name, body) in [("a.csv", b"x,y\n1,2\n".as_slice()), ("b.csv", b"")] {
            out.extend(z.start(name).unwrap());
            z.data(body).unwrap();
            out.extend_from_slice(body);
            out.extend(z.finish_entry().unwrap());
        }
        out.extend(z.finish().unwrap());
        let u32_at = |i: usize| u32::from_le_bytes(out[i..i + 4].try_into().unwrap());
        let u16_at = |i: usize| u16::from_le_bytes(out[i..i + 2].try_into().unwrap());
        let eocd = out.len() - 22;
        assert_eq!(u32_at(eocd), END_OF_CENTRAL);
        assert_eq!(u16_at(eocd + 10), 2);
        let mut cd = u32_at(eocd + 16) as usize;
        for (name, body) in [("a.csv", b"x,y\n1,2\n".as_slice()), ("b.csv", b"")] {
            assert_eq!(u32_at(cd), CENTRAL_HEADER);
            assert_eq!(u32_at(cd + 16), crc32fast::hash(body));
            assert_eq!(u32_at(cd + 24) as usize, body.len());
            let local = u32_at(cd + 42) as usize;
            assert_eq!(u32_at(local), LOCAL_HEADER);
            let start = local + 30 + name.len();
            assert_eq!(&out[local + 30..start], name.as_bytes());
            assert_eq!(&out[start..start + body.len()], body);
            assert_eq!(u32_at(start + body.len()), DATA_DESCRIPTOR);
            cd += 46 + name.len();
        }
    }
}
