"""The AI step: Gemini asked for prioritised, evidence-backed recommendations, under budget.

The worker calls `run_ai_step` (libs/ai/step.py) once per analysis; `cache_key_parts`
(libs/ai/config.py) goes into the analysis cache key. docs/ai.md says how it is bounded.
"""
