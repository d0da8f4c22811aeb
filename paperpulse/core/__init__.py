"""The shared vocabulary: values, errors, and the rules every layer agrees on (merge, names)."""
