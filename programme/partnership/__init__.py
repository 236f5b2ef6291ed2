"""校企合作 beyond co-authoring (which lives in catalog/coauthors.py): the workplace mentors (企业导师) an enterprise
names for a resource or a pathway, paired with the institution's teachers (双导师制)."""
