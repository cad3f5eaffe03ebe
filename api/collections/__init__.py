"""Collections (pitch kits): named, ordered, described sets of assets for a kind of deal."""
