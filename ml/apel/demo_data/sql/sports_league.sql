-- Assay APEL demo database "sports_league": a football league's teams, players and games.
-- Written for Assay; every team, player and result here is fictional.

CREATE TABLE team (
    team_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    city TEXT NOT NULL,
    founded_year INTEGER NOT NULL,
    stadium TEXT NOT NULL,
    head_coach TEXT
);

CREATE TABLE player (
    player_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    team_id INTEGER,
    position TEXT NOT NULL,
    jersey_number INTEGER,
    height_cm INTEGER NOT NULL,
    salary REAL NOT NULL,
    birth_date TEXT NOT NULL,
    FOREIGN KEY (team_id) REFERENCES team (team_id)
);

CREATE TABLE game (
    game_id INTEGER PRIMARY KEY,
    home_team_id INTEGER NOT NULL,
    away_team_id INTEGER NOT NULL,
    game_date TEXT NOT NULL,
    home_score INTEGER,
    away_score INTEGER,
    attendance INTEGER,
    FOREIGN KEY (home_team_id) REFERENCES team (team_id),
    FOREIGN KEY (away_team_id) REFERENCES team (team_id)
);

INSERT INTO team (team_id, name, city, founded_year, stadium, head_coach) VALUES
    (1, 'Harbor City Gulls', 'Harbor City', 1952, 'Pier Park', 'Martina Cole'),
    (2, 'Ironvale Miners', 'Ironvale', 1948, 'Quarry Field', 'Dennis Ward'),
    (3, 'Redwood Rangers', 'Redwood', 1961, 'Timber Stadium', 'Ana Lucero'),
    (4, 'Lakeside Otters', 'Lakeside', 1975, 'Shoreline Arena', NULL),
    (5, 'Summit Peaks', 'Summit', 1948, 'Altitude Park', 'Gerhard Maier'),
    (6, 'Prairie Comets', 'Prairie Falls', 1983, 'Comet Field', 'Yvonne Adeyemi'),
    (7, 'Harbor City Anchors', 'Harbor City', 1990, 'Dockside Grounds', 'Pete Sorrell'),
    (8, 'Coldwater Wolves', 'Coldwater', 2002, 'Frost Dome', NULL);

INSERT INTO player (player_id, name, team_id, position, jersey_number, height_cm, salary, birth_date) VALUES
    (1, 'Marco Ilic', 1, 'Forward', 9, 183, 920000.0, '1996-05-11'),
    (2, 'Tobias Lund', 1, 'Goalkeeper', 1, 191, 410000.0, '1993-02-02'),
    (3, 'Kwesi Boateng', 1, 'Midfielder', 8, 176, 560000.0, '1998-09-23'),
    (4, 'Rui Almeida', 2, 'Defender', 4, 186, 380000.0, '1995-12-14'),
    (5, 'Dmitri Volkov', 2, 'Forward', 11, 179, 760000.0, '1997-07-30'),
    (6, 'Sean Gallagher', 2, 'Goalkeeper', 1, 194, 350000.0, '1990-03-08'),
    (7, 'Luis Ortega', 3, 'Midfielder', 10, 172, 980000.0, '1994-11-19'),
    (8, 'Jens Kruger', 3, 'Defender', 5, 188, 410000.0, '1999-01-27'),
    (9, 'Ade Okonkwo', 3, 'Forward', 7, 181, 640000.0, '2000-06-05'),
    (10, 'Pavel Novak', 4, 'Goalkeeper', 12, 189, 300000.0, '2001-08-14'),
    (11, 'Elliot Shaw', 4, 'Midfielder', 6, 176, 455000.0, '1996-04-02'),
    (12, 'Yusuf Demir', 4, 'Forward', 19, 184, 700000.0, '1995-10-10'),
    (13, 'Callum Reid', 5, 'Defender', 3, 190, 520000.0, '1992-05-29'),
    (14, 'Mateus Silva', 5, 'Midfielder', 14, 174, 610000.0, '1998-12-01'),
    (15, 'Oskar Berg', 5, 'Forward', 20, 182, 1050000.0, '1993-07-17'),
    (16, 'Andrei Popa', 6, 'Defender', 2, 185, 330000.0, '2002-02-20'),
    (17, 'Hugo Marchetti', 6, 'Forward', 17, 178, 590000.0, '1999-09-09'),
    (18, 'Samir Benali', 6, 'Goalkeeper', 13, 192, 300000.0, '1997-03-03'),
    (19, 'Theo Lambert', 7, 'Midfielder', 23, 180, 480000.0, '2000-11-30'),
    (20, 'Ricky Tan', 7, 'Defender', 15, 183, 360000.0, '1996-01-15'),
    (21, 'Noel Ferris', 7, 'Forward', NULL, 177, 520000.0, '2003-04-22'),
    (22, 'Ivo Markovic', NULL, 'Midfielder', NULL, 179, 250000.0, '1991-06-18'),
    (23, 'Finn O''Leary', 1, 'Defender', 22, 187, 395000.0, '1997-08-08'),
    (24, 'Bastian Roth', 2, 'Midfielder', 16, 175, 430000.0, '1999-05-05'),
    (25, 'Kenta Ishii', 8, 'Forward', 10, 173, 280000.0, '2004-01-09'),
    (26, 'Arne Solberg', 8, 'Goalkeeper', 1, 193, 260000.0, '2000-10-12');

INSERT INTO game (game_id, home_team_id, away_team_id, game_date, home_score, away_score, attendance) VALUES
    (1, 1, 2, '2024-03-02', 2, 1, 18200),
    (2, 3, 4, '2024-03-02', 0, 0, 12400),
    (3, 5, 6, '2024-03-03', 3, 1, 15100),
    (4, 7, 1, '2024-03-09', 1, 2, 9800),
    (5, 2, 3, '2024-03-09', 1, 1, 14300),
    (6, 4, 5, '2024-03-10', 2, 3, 11000),
    (7, 6, 7, '2024-03-16', 4, 0, 8700),
    (8, 1, 3, '2024-03-16', 1, 0, 18900),
    (9, 2, 5, '2024-03-17', 0, 2, 13500),
    (10, 4, 6, '2024-03-23', 1, 1, 10200),
    (11, 7, 2, '2024-03-23', 2, 2, 9100),
    (12, 3, 5, '2024-03-24', 2, 1, 12400),
    (13, 6, 1, '2024-03-30', 0, 3, 9400),
    (14, 5, 7, '2024-03-30', 5, 2, 15600),
    (15, 1, 4, '2024-04-06', 2, 2, 19300),
    (16, 3, 7, '2024-04-06', 3, 0, 11800),
    (17, 2, 6, '2024-04-07', 1, 0, 13900),
    (18, 5, 1, '2024-04-13', 1, 1, 16200),
    (19, 4, 7, '2024-04-13', 0, 1, 10900),
    (20, 6, 3, '2024-04-14', 2, 2, NULL),
    (21, 7, 5, '2024-04-20', NULL, NULL, NULL),
    (22, 4, 2, '2024-04-20', 3, 1, 11400);
