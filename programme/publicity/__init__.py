"""Publicity (宣传): news posts and 先进典型 stories (a worker's or an enterprise's story, with a photo whose
subject's consent is recorded) written by unions and institutions, shown on the home page, in /news and in an
Atom feed; every post page carries its share card (Open Graph) and a share QR code."""
