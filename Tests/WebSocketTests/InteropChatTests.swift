import Foundation
import RAAFStreaming
import StreamingTestSupport
import Testing

extension InteropTests {
    /// Chat rooms on the real server, spoken by Python's `websockets` (`Interop/chat.py`).
    @Suite("Chat rooms with Python websockets")
    struct Chat {
        static func wsURL(_ server: HTTPTestServer) -> String {
            server.baseURL.replacingOccurrences(of: "http://", with: "ws://") + "/ws"
        }

        static func run(_ scenario: String, on server: HTTPTestServer, _ arguments: [String] = []) async throws -> JSONValue {
            let output = try await PythonWebSockets.run(scenario, url: wsURL(server), arguments)
            #expect(output.status == 0, "\(output.transcript)")
            return try #require(output.result, "\(output.transcript)")
        }

        @Test("create, join and leave; user_joined and user_left; room_full, forbidden, room_exists, not_found")
        func rooms() async throws {
            try await HTTPTestServer.with { server in
                let output = try await PythonWebSockets.run("chat_rooms", url: Self.wsURL(server))
                #expect(output.status == 0, "\(output.transcript)")
                #expect(output.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "OK", "\(output.transcript)")
            }
        }

        @Test("every member sees the agent's answer stream; handoffs by transfer tool and by handoff_request")
        func agentAnswersAndHandoffs() async throws {
            try await HTTPTestServer.with { server in
                let result = try await Self.run("chat_agent", on: server)
                #expect(result["question_seq"] == ["a": 1, "b": 1])
                for member in ["a", "b"] {
                    let weather = result["weather"]?[member]
                    #expect(
                        weather?["types"]
                            == [
                                "agent_typing_start", "tool_call", "tool_output", "response_chunk", "agent_typing_stop",
                                "chat_message",
                            ])
                    #expect(weather?["tools"] == ["get_weather"])
                    #expect(weather?["streamed"] == weather?["final"])
                    #expect(weather?["final"]?.stringValue?.contains("Paris") == true)
                    #expect(weather?["agent"] == "assistant")
                    #expect(weather?["seq"] == 2)
                }
                #expect(result["handoffs"] == [["from": "assistant", "to": "support"], ["from": "assistant", "to": "support"]])
                #expect(result["after_transfer_agent"] == "support")
                #expect(
                    result["requested"] == ["from": "support", "to": "assistant", "reason": "back please", "requested_by": "bob"])
                #expect(result["after_request_agent"] == "assistant")
            }
        }

        @Test("typing indicators and their expiry, room_limit, too_large, rate_limited, get_history pages, chat_stats")
        func limitsTypingHistoryStats() async throws {
            let configure: (inout StreamingConfiguration) -> Void = { config in
                config.chat.maxMessageLength = 100
                config.chat.rateLimit = 5
                config.chat.defaultAgent = nil  // a room of people: only their messages count
                config.chat.typingTimeout = .milliseconds(300)
                config.chat.maxRooms = 2
            }
            try await HTTPTestServer.with(configure) { server in
                let result = try await Self.run("chat_limits", on: server)
                #expect(result["seqs"] == [1, 2, 3, 4, 5])
                #expect(result["page"] == [4, 5])
                #expect(result["page_has_more"] == true)
                #expect(result["earlier"] == [1, 2, 3])
                #expect(result["earlier_has_more"] == false)
                let stats = result["stats"]
                #expect(stats?["connected_clients"] == 2)
                #expect(stats?["active_sessions"] == 2)
                #expect(stats?["active_streams"] == 0)
                #expect(stats?["available_agents"] == ["assistant", "support"])
                #expect(stats?["total_messages"] == 5)
                #expect(stats?["rooms"] == [["room": "quiet", "participants": 2, "messages": 5], ["room": "second", "participants": 0, "messages": 0]])
            }
        }

        @Test("stop_stream stops the answer; members get a stopped typing frame and the partial answer")
        func stopStream() async throws {
            try await HTTPTestServer.with({ $0.provider.simulationDelay = .milliseconds(30) }) { server in
                let result = try await Self.run("chat_stop", on: server)
                #expect(result["stopped"] == true)
                #expect(result["final_stopped"] == true)
                let partial = try #require(result["final"]?.stringValue)
                let full = try await AgentRunner(provider: ScriptedModelProvider())
                    .run(DemoAgents.assistant, messages: [.user("alice: Tell me a long story")]).finalOutput
                #expect(!partial.isEmpty && partial.count < full.count && full.hasPrefix(partial))
            }
        }

        @Test("with the SQLite store, a room's history and its seq survive a server restart")
        func sqliteHistorySurvivesRestart() async throws {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("raaf-chat-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let path = folder.appendingPathComponent("chat.sqlite").path
            let configure: (inout StreamingConfiguration) -> Void = { $0.chat.defaultAgent = nil }

            try await HTTPTestServer.with(configure, chatStore: try SQLiteChatStore(path: path)) { server in
                let seqs = try await Self.run("chat_post", on: server, ["log", "4"])
                #expect(seqs == [1, 2, 3, 4])
            }
            try await HTTPTestServer.with(configure, chatStore: try SQLiteChatStore(path: path)) { server in
                let seqs = try await Self.run("chat_post", on: server, ["log", "2"])
                #expect(seqs == [5, 6])
                let history = try await Self.run("chat_history", on: server, ["log"])
                #expect(
                    history == [
                        [1, "note 0"], [2, "note 1"], [3, "note 2"], [4, "note 3"], [5, "note 0"], [6, "note 1"],
                    ])
            }
        }
    }
}
