"""Catalog: the menu-style open resource directory (courses, video lectures, micro-courses),
the publishing workflow, union catalogs and open exports. Built by the catalog issue."""
