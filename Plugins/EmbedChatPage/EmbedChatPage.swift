import Foundation
import PackagePlugin

/// Embeds the chat page's files (`Chat/Page/` of the target: `.html`, `.css`, `.js`) into the
/// target at build time: the `EmbedFiles` tool turns them into one generated Swift source,
/// `ChatPageFiles.swift`, so the `raaf-streaming` binary carries its page with it and needs no
/// resource bundle next to it. The command reruns whenever one of the files changes.
@main
struct EmbedChatPage: BuildToolPlugin {
    static let folder = "Chat/Page"
    static let extensions: Set<String> = ["html", "css", "js"]
    static let document = "index.html"

    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        guard let module = target as? SourceModuleTarget else { return [] }
        let base = module.directoryURL.appending(path: Self.folder)
        let prefix = base.path + "/"
        let inputs = module.sourceFiles.map(\.url)
            .filter { $0.path.hasPrefix(prefix) && Self.extensions.contains($0.pathExtension) }
            .sorted { $0.path < $1.path }
        // ChatPage.html is this document: without it the module must not build.
        guard inputs.contains(where: { $0.path == prefix + Self.document }) else {
            throw EmbedError(message: "no \(Self.document) in \(base.path): the chat page has no document")
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "ChatPageFiles.swift")
        return [
            .buildCommand(
                displayName: "Embedding the chat page's \(inputs.count) files",
                executable: try context.tool(named: "EmbedFiles").url,
                arguments: [output.path, "ChatPageFiles", base.path] + inputs.map(\.path),
                inputFiles: inputs,
                outputFiles: [output]
            )
        ]
    }
}

struct EmbedError: Error, CustomStringConvertible {
    let message: String
    var description: String { "EmbedChatPage: \(message)" }
}
