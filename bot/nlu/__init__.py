"""NLU components: script-aware tokenizer, text normalisation, urgent-message safety net."""
