"""Reporting: one union's figures by region, year and industry, as a dashboard of server-drawn charts, an XLSX
workbook and a yearly PDF. Reads every other part of the programme; nothing imports it."""
