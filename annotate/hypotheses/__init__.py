"""Hypothesis verification (issue 8, the people side): researchers run describe.run on two corpora,
send its top hypotheses to annotators who judge (hypothesis, text) pairs blind to the text's group, and
read human validity with CIs, agreement and flags beside the machine's. Judgements export as JSONL/CSV."""
