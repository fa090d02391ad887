# The EL2 agent (build/agent.elf) and its host unit tests (AGENT_UNIT_BIN).
AGENT_UNIT_BIN :=
agent:
