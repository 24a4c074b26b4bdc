"""France's reference geography (INSEE regions and departments) and the kinds of territory a
programme serves."""
