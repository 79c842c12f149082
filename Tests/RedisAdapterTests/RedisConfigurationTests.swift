import StreamingDomain
import StreamingApplication
import StreamingRedis
import Testing

@Suite("REDIS_URL parsing")
struct RedisConfigurationTests {
    @Test("a host alone takes port 6379, database 0 and no login")
    func defaults() throws {
        let config = try RedisConfiguration(url: "redis://cache.internal")
        #expect(config.host == "cache.internal")
        #expect(config.port == 6379)
        #expect(config.database == 0)
        #expect(config.username == nil && config.password == nil)
        #expect(try RedisConfiguration(url: "redis://cache:6380/").port == 6380)
    }

    @Test("a password alone, a port and a database")
    func passwordPortDatabase() throws {
        let config = try RedisConfiguration(url: "redis://:s3cret@10.0.0.7:6380/2")
        #expect(config.host == "10.0.0.7")
        #expect(config.port == 6380)
        #expect(config.database == 2)
        #expect(config.username == nil)
        #expect(config.password == "s3cret")
    }

    @Test("an ACL user with a percent-encoded password")
    func userAndPassword() throws {
        let config = try RedisConfiguration(url: "redis://alice:p%40ss%2Fw0rd@redis.example:7000/15")
        #expect(config.username == "alice")
        #expect(config.password == "p@ss/w0rd")
        #expect(config.host == "redis.example" && config.port == 7000 && config.database == 15)
    }

    @Test("a password holding @ and / unencoded: the user info ends at the last @")
    func unencodedPassword() throws {
        let config = try RedisConfiguration(url: "redis://:pa/ss@wo:rd@host:1234/3")
        #expect(config.password == "pa/ss@wo:rd")
        #expect(config.host == "host" && config.port == 1234 && config.database == 3)
    }

    @Test("an IPv6 address in brackets")
    func ipv6() throws {
        let config = try RedisConfiguration(url: "redis://[::1]:6390/1")
        #expect(config.host == "::1" && config.port == 6390 && config.database == 1)
        #expect(try RedisConfiguration(url: "redis://[::1]").port == 6379)
    }

    @Test("the description masks the password")
    func description() throws {
        let config = try RedisConfiguration(url: "redis://bob:hunter2@host:6379/4")
        #expect("\(config)" == "redis://bob:[redacted]@host:6379/4")
        #expect(!String(reflecting: config).contains("hunter2"))
        var dumped = ""
        dump(config, to: &dumped)
        #expect(!dumped.contains("hunter2"))
        #expect("\(try RedisConfiguration(url: "redis://:pw@h"))" == "redis://:[redacted]@h:6379/0")
        #expect("\(try RedisConfiguration(url: "redis://h:1/0"))" == "redis://h:1/0")
    }

    @Test(
        "a malformed URL is a configuration error of REDIS_URL that never shows the password",
        arguments: [
            "http://:topsecret@host:6379",
            "redis:/host",
            "cache:6379",
            "redis://:topsecret@",
            "redis://:topsecret@:6379",
            "redis://:topsecret@host:port",
            "redis://:topsecret@host:99999",
            "redis://:topsecret@host:0",
            "redis://:topsecret@host:6379/db",
            "redis://:topsecret@host:6379/-1",
            "redis://:topsecret@host:6379/0?timeout=1",
            "redis://topsecret@host:6379",
            "redis://:top%zzsecret@host",
            "rediss://:topsecret@host:6380",
            "redis://:topsecret@[::1:6379",
            "redis://:topsecret@ho st:6379",
        ]
    )
    func malformed(_ url: String) throws {
        do {
            let config = try RedisConfiguration(url: url)
            Issue.record("accepted \(url) as \(config)")
        } catch StreamingError.configuration(let variable, let reason) {
            #expect(variable == "REDIS_URL")
            #expect(!reason.contains("topsecret") && !reason.contains("secret"), "the reason shows the password: \(reason)")
            #expect(!reason.contains(url), "the reason repeats the URL: \(reason)")
        }
    }

    @Test("a bad namespace or URL is refused when the queue is made")
    func badSettings() throws {
        #expect(throws: StreamingError.self) { try RedisJobQueue(url: "redis://h", namespace: "") }
        #expect(throws: StreamingError.self) { try RedisJobQueue(url: "redis://h", namespace: "a{b}") }
        #expect(throws: StreamingError.configuration(
            variable: "REDIS_URL", reason: "the port must be a number from 1 to 65535; expected redis://[[user]:password@]host[:port][/db]"
        )) { try RedisJobQueue(url: "redis://:pw@h:x") }
    }
}
