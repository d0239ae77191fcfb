//! The units of the report: the country, its regions and its municipalities, read from a
//! reference file (code, name, region code, region name) so that no geography lives in code.

use std::collections::HashMap;
use std::path::Path;

use super::error::DataError;

#[derive(Debug, Clone)]
pub struct Municipality {
    pub code: u32,
    pub name: String,
    pub region: usize,
}

#[derive(Debug, Clone)]
pub struct Region {
    pub code: u32,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct Geography {
    pub country_name: String,
    pub regions: Vec<Region>,
    pub municipalities: Vec<Municipality>,
    by_code: HashMap<u32, usize>,
    region_by_code: HashMap<u32, usize>,
}

/// A unit of the report, by level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unit {
    National,
    Region(usize),
    Municipality(usize),
}

impl Geography {
    /// Reads `code,name,region_code,region_name` (a header row first), in the file's order.
    pub fn load(path: &Path) -> Result<Geography, DataError> {
        let file = path.display().to_string();
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_path(path)
            .map_err(|e| DataError::file(&file, format!("cannot read the geography: {e}")))?;
        let headers = reader
            .headers()
            .map_err(|e| DataError::file(&file, e.to_string()))?
            .clone();
        let col = |name: &str| {
            headers
                .iter()
                .position(|h| h.trim() == name)
                .ok_or_else(|| {
                    DataError::file(&file, format!("the geography has no column `{name}`"))
                })
        };
        let (c_code, c_name, c_region, c_region_name) = (
            col("code")?,
            col("name")?,
            col("region_code")?,
            col("region_name")?,
        );
        let mut municipalities = Vec::new();
        let mut regions: Vec<Region> = Vec::new();
        let mut by_code = HashMap::new();
        let mut region_by_code = HashMap::new();
        for (k, record) in reader.records().enumerate() {
            let line = k + 2;
            let record = record.map_err(|e| DataError::line(&file, line, e.to_string()))?;
            let field = |i: usize| record.get(i).unwrap_or("").trim();
            let parse = |i: usize, what: &str| {
                field(i).parse::<u32>().map_err(|_| {
                    DataError::line(&file, line, format!("`{}` is not a {what} code", field(i)))
                })
            };
            let code = parse(c_code, "municipality")?;
            let region_code = parse(c_region, "region")?;
            let region = *region_by_code.entry(region_code).or_insert_with(|| {
                regions.push(Region {
                    code: region_code,
                    name: field(c_region_name).to_string(),
                });
                regions.len() - 1
            });
            if by_code.insert(code, municipalities.len()).is_some() {
                return Err(DataError::line(
                    &file,
                    line,
                    format!("municipality {code} is listed twice"),
                ));
            }
            municipalities.push(Municipality {
                code,
                name: field(c_name).to_string(),
                region,
            });
        }
        // Regions in code order, as the report lists them.
        let mut order: Vec<usize> = (0..regions.len()).collect();
        order.sort_by_key(|&r| regions[r].code);
        let remap: HashMap<usize, usize> = order
            .iter()
            .enumerate()
            .map(|(new, &old)| (old, new))
            .collect();
        let regions: Vec<Region> = order.iter().map(|&r| regions[r].clone()).collect();
        for m in &mut municipalities {
            m.region = remap[&m.region];
        }
        let region_by_code = regions
            .iter()
            .enumerate()
            .map(|(i, r)| (r.code, i))
            .collect();
        Ok(Geography {
            country_name: "Hele landet".to_string(),
            regions,
            municipalities,
            by_code,
            region_by_code,
        })
    }

    pub fn municipality(&self, code: u32) -> Option<usize> {
        self.by_code.get(&code).copied()
    }

    /// The unit with this code at any level: 0 is the country.
    pub fn unit(&self, code: u32) -> Option<Unit> {
        if code == 0 {
            return Some(Unit::National);
        }
        if let Some(&r) = self.region_by_code.get(&code) {
            return Some(Unit::Region(r));
        }
        self.municipality(code).map(Unit::Municipality)
    }

    pub fn code(&self, unit: Unit) -> u32 {
        match unit {
            Unit::National => 0,
            Unit::Region(r) => self.regions[r].code,
            Unit::Municipality(m) => self.municipalities[m].code,
        }
    }

    pub fn name(&self, unit: Unit) -> &str {
        match unit {
            Unit::National => &self.country_name,
            Unit::Region(r) => &self.regions[r].name,
            Unit::Municipality(m) => &self.municipalities[m].name,
        }
    }

    /// The region a unit lies in (a region is its own), or `None` for the country.
    pub fn region_of(&self, unit: Unit) -> Option<usize> {
        match unit {
            Unit::National => None,
            Unit::Region(r) => Some(r),
            Unit::Municipality(m) => Some(self.municipalities[m].region),
        }
    }
}
