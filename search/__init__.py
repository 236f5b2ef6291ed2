"""Search: Chinese full-text search on Whoosh with jieba segmentation, pinyin and facets,
kept in step with the catalog through an outbox. Built by the search issue."""
