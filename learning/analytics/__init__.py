"""Course analytics for the organisations running courses: the pure figures (curves), read from what learning
stores (figures). Nothing here writes; the pages live in programme.analytics, which adds the ratings."""
