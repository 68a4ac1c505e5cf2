"""Reports for supervisors and the city: the II.06a statistics and log book with their daily
rollup, the dashboard, the per-dossier evaluation (Circular 01/2018), the Decision 766
service index and the repeat-visit measures."""
