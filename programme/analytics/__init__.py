"""Course analytics for institutions (issue 22): one resource's figures for its provider and the unions over it,
and a union's roll-up over its catalog and area, as pages with charts (Chart.js, vendored) and CSV/XLSX. The figures
come from learning.analytics; this package adds the ratings (programme.voice) and decides who sees what."""
